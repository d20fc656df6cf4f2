using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Rondevu.Gateway.Auth;
using Rondevu.Grains;

namespace Rondevu.Tests.Http;

public sealed record CredentialVector(
    [property: JsonPropertyName("authSecret")] string AuthSecret,
    [property: JsonPropertyName("iv")] string Iv,
    [property: JsonPropertyName("peerId")] string PeerId,
    [property: JsonPropertyName("secret")] string Secret,
    [property: JsonPropertyName("header")] string Header);

public sealed record BloomVector(
    [property: JsonPropertyName("bytes")] int Bytes,
    [property: JsonPropertyName("hashes")] int Hashes,
    [property: JsonPropertyName("added")] string[] Added,
    [property: JsonPropertyName("base64")] string Base64,
    [property: JsonPropertyName("tests")] Dictionary<string, bool> Tests);

/// <summary>/work/shared/vectors.json, copied to Vectors/vectors.json and to the test output.</summary>
public sealed record WireVectors(
    [property: JsonPropertyName("credentials")] CredentialVector[] Credentials,
    [property: JsonPropertyName("blooms")] BloomVector[] Blooms)
{
    public static WireVectors Load() =>
        JsonSerializer.Deserialize<WireVectors>(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Vectors", "vectors.json")))!;
}

/// <summary>Wire compatibility with rondevu-server 0.1.5 and the 0.7.x client, from independently computed vectors.</summary>
[Collection("gateway")]
public sealed class WireVectorTests(GatewayFixture gateway)
{
    private static readonly WireVectors Vectors = WireVectors.Load();

    public static TheoryData<int> CredentialIndexes() => new(Enumerable.Range(0, Vectors.Credentials.Length));
    public static TheoryData<int> BloomIndexes() => new(Enumerable.Range(0, Vectors.Blooms.Length));

    [Fact]
    public void Vectors_file_holds_three_credentials_and_three_blooms()
    {
        Assert.Equal(3, Vectors.Credentials.Length);
        Assert.Equal(3, Vectors.Blooms.Length);
        Assert.NotEqual(Vectors.Credentials[0].AuthSecret, Vectors.Credentials[2].AuthSecret);
    }

    /// <summary>Proven credentials are remembered; that must never let another secret or another peer through.</summary>
    [Fact]
    public void A_proven_credential_does_not_let_another_secret_or_peer_through()
    {
        var cipher = new CredentialCipher(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var otherKey = new CredentialCipher(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var peer = Rondevu.Grains.Ids.New();
        var secret = cipher.Issue(peer);

        Assert.Null(cipher.Verify(peer, secret));
        Assert.Null(cipher.Verify(peer, secret));
        Assert.Equal("Invalid credentials: secret failed verification", cipher.Verify(peer, otherKey.Issue(peer)));
        Assert.Equal("Invalid credentials: secret does not match peerId", cipher.Verify(Rondevu.Grains.Ids.New(), secret));
    }

    [Theory]
    [MemberData(nameof(CredentialIndexes))]
    public void CredentialCipher_issues_exactly_the_vector_secret(int index)
    {
        var vector = Vectors.Credentials[index];
        var cipher = new CredentialCipher(Convert.FromHexString(vector.AuthSecret));
        Assert.Equal(vector.Secret, cipher.Issue(vector.PeerId, Convert.FromHexString(vector.Iv)));
        Assert.Equal($"Bearer {vector.PeerId}:{vector.Secret}", vector.Header);
    }

    [Theory]
    [MemberData(nameof(CredentialIndexes))]
    public void CredentialCipher_verifies_the_vector_secret_only_under_its_key_and_peer(int index)
    {
        var vector = Vectors.Credentials[index];
        Assert.Null(new CredentialCipher(Convert.FromHexString(vector.AuthSecret)).Verify(vector.PeerId, vector.Secret));

        var otherKey = Vectors.Credentials.First(v => v.AuthSecret != vector.AuthSecret).AuthSecret;
        Assert.NotNull(new CredentialCipher(Convert.FromHexString(otherKey)).Verify(vector.PeerId, vector.Secret));
        Assert.NotNull(new CredentialCipher(Convert.FromHexString(vector.AuthSecret)).Verify("ffffffffffffffffffffffffffffffff", vector.Secret));
    }

    // Recomputed independently with Node's WebCrypto (prints obLD1OX2BxgpOktcZBdWmq4LUq6EMw60A0E5M/Lske0QLXjlyhwztD/xhQRwiG+Xm86ZQu+r6rTSueKX):
    // node -e 'const c=require("crypto").webcrypto;(async()=>{const k=await c.subtle.importKey("raw",Buffer.from("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f","hex"),"AES-GCM",false,["encrypt"]);const iv=Buffer.from("a1b2c3d4e5f60718293a4b5c","hex");const ct=await c.subtle.encrypt({name:"AES-GCM",iv},k,new TextEncoder().encode("f17c195f067255e357232e34cf0735d9"));console.log(Buffer.concat([iv,Buffer.from(ct)]).toString("base64"))})()'
    private const string NodeWebCryptoSecret = "obLD1OX2BxgpOktcZBdWmq4LUq6EMw60A0E5M/Lske0QLXjlyhwztD/xhQRwiG+Xm86ZQu+r6rTSueKX";

    [Fact]
    public void Second_credential_vector_matches_node_webcrypto_recomputation()
    {
        var vector = Vectors.Credentials[1];
        Assert.Equal("a1b2c3d4e5f60718293a4b5c", vector.Iv);
        Assert.Equal(NodeWebCryptoSecret, vector.Secret);
        var cipher = new CredentialCipher(Convert.FromHexString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"));
        Assert.Equal(NodeWebCryptoSecret, cipher.Issue("f17c195f067255e357232e34cf0735d9", Convert.FromHexString("a1b2c3d4e5f60718293a4b5c")));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task Vector_header_authenticates_against_a_gateway_with_that_AUTH_SECRET(int index)
    {
        var vector = Vectors.Credentials[index];
        Assert.Equal(GatewayFixture.AuthSecret, vector.AuthSecret);
        var json = Expect.Ok(await gateway.Api.Send(HttpMethod.Get, "/offers/mine", null, vector.Header));
        Assert.Equal(vector.PeerId, json.GetProperty("peerId").GetString());
    }

    [Fact]
    public async Task Vector_header_under_another_key_is_401()
    {
        var vector = Vectors.Credentials[2];
        Assert.NotEqual(GatewayFixture.AuthSecret, vector.AuthSecret);
        Expect.Error(await gateway.Api.Send(HttpMethod.Get, "/offers/mine", null, vector.Header), HttpStatusCode.Unauthorized);
    }

    [Theory]
    [MemberData(nameof(BloomIndexes))]
    public void Bloom_vectors_match_the_spec_and_the_servers_filter(int index)
    {
        var vector = Vectors.Blooms[index];
        Assert.Equal(3, vector.Hashes);
        var filter = TestBloom.Create(vector.Bytes, vector.Added);
        Assert.Equal(vector.Base64, Convert.ToBase64String(filter));

        var built = new byte[vector.Bytes];
        foreach (var id in vector.Added)
        {
            BloomFilter.Add(built, id);
        }
        Assert.Equal(vector.Base64, Convert.ToBase64String(built));

        var decoded = Convert.FromBase64String(vector.Base64);
        foreach (var (peerId, expected) in vector.Tests)
        {
            Assert.Equal(expected, TestBloom.Test(decoded, peerId));
            Assert.Equal(expected, BloomFilter.MightContain(decoded, peerId));
        }
    }
}

[Collection("gateway-limits")]
public sealed class WireVectorOtherKeyTests(LimitsGatewayFixture gateway)
{
    [Fact]
    public async Task Third_vector_header_authenticates_against_a_gateway_with_its_AUTH_SECRET()
    {
        var vector = WireVectors.Load().Credentials[2];
        Assert.Equal(LimitsGatewayFixture.AuthSecret, vector.AuthSecret);
        var json = Expect.Ok(await gateway.Api.Send(HttpMethod.Get, "/offers/mine", null, vector.Header));
        Assert.Equal(vector.PeerId, json.GetProperty("peerId").GetString());

        var first = WireVectors.Load().Credentials[0];
        Expect.Error(await gateway.Api.Send(HttpMethod.Get, "/offers/mine", null, first.Header), HttpStatusCode.Unauthorized);
    }
}
