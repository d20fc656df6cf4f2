using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using Orleans.Serialization.Buffers;
using Orleans.Serialization.Codecs;
using Orleans.Serialization.WireProtocol;

namespace Rondevu.Grains;

/// <summary>
/// Text kept as its UTF-8 bytes: an SDP, held by every offer for its whole life, takes half the memory of a
/// .NET string (UTF-16), and the JSON writer and the serializer copy the bytes without transcoding them.
/// Immutable, so the offer's record, its topics' entries and the messages carrying it share one copy.
/// </summary>
[Immutable, Alias("Rondevu.Utf8Text")]
public sealed class Utf8Text : IEquatable<Utf8Text>
{
    private readonly byte[] _bytes;

    private Utf8Text(byte[] bytes) => _bytes = bytes;

    public static Utf8Text Empty { get; } = new([]);

    /// <summary>Only for bytes nothing else holds: they are kept, not copied.</summary>
    internal static Utf8Text Own(byte[] bytes) => bytes.Length == 0 ? Empty : new(bytes);

    /// <summary>Valid UTF-16 text (a lone surrogate would become U+FFFD; the gateway rejects those with 400).</summary>
    public static Utf8Text From(string text) => Own(Encoding.UTF8.GetBytes(text));

    /// <summary>A copy of the bytes, which must be valid UTF-8.</summary>
    public static Utf8Text From(ReadOnlySpan<byte> utf8) => Own(utf8.ToArray());

    /// <summary>Tests and literals read naturally; the gateway converts explicitly.</summary>
    public static implicit operator Utf8Text(string text) => From(text);

    public ReadOnlySpan<byte> AsSpan() => _bytes;

    /// <summary>In bytes, not characters.</summary>
    public int Length => _bytes.Length;

    public override string ToString() => Encoding.UTF8.GetString(_bytes);

    public bool Equals(Utf8Text? other) => other is not null && _bytes.AsSpan().SequenceEqual(other._bytes);

    public override bool Equals(object? obj) => Equals(obj as Utf8Text);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(_bytes);
        return hash.ToHashCode();
    }

    public static bool operator ==(Utf8Text? left, Utf8Text? right) => left is null ? right is null : left.Equals(right);

    public static bool operator !=(Utf8Text? left, Utf8Text? right) => !(left == right);
}

/// <summary>
/// Writes <see cref="Utf8Text"/> exactly as Orleans writes a string (a length-prefixed field of UTF-8 bytes), so an
/// offer stored while its SDP was a string (payload format 1) reads back unchanged, and a silo of either version
/// reads the other's messages.
/// </summary>
[RegisterSerializer]
public sealed class Utf8TextCodec : IFieldCodec<Utf8Text>
{
    public void WriteField<TBufferWriter>(ref Writer<TBufferWriter> writer, uint fieldIdDelta, Type? expectedType, [AllowNull] Utf8Text value)
        where TBufferWriter : IBufferWriter<byte>
    {
        if (ReferenceCodec.TryWriteReferenceField(ref writer, fieldIdDelta, expectedType, value))
        {
            return;
        }
        writer.WriteFieldHeader(fieldIdDelta, expectedType, typeof(Utf8Text), WireType.LengthPrefixed);
        writer.WriteVarUInt32((uint)value.Length);
        writer.Write(value.AsSpan());
    }

    [return: MaybeNull]
    public Utf8Text ReadValue<TInput>(ref Reader<TInput> reader, Field field)
    {
        if (field.WireType == WireType.Reference)
        {
            return ReferenceCodec.ReadReference<Utf8Text, TInput>(ref reader, field);
        }
        field.EnsureWireType(WireType.LengthPrefixed);
        var length = reader.ReadVarUInt32();
        reader.EnsureAvailable(length);
        var text = Utf8Text.Own(reader.ReadBytes(length));
        ReferenceCodec.RecordObject(reader.Session, text);
        return text;
    }
}
