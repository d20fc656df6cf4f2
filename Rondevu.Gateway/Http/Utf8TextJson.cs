using System.Text.Json;
using System.Text.Json.Serialization;
using Rondevu.Grains;

namespace Rondevu.Gateway.Http;

/// <summary>A JSON string written from the stored UTF-8 bytes, escaped by the same encoder as any other string, so
/// the response is byte for byte what the string would have given.</summary>
public sealed class Utf8TextJsonConverter : JsonConverter<Utf8Text>
{
    public override Utf8Text Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Utf8Text.From(reader.GetString()!);

    public override void Write(Utf8JsonWriter writer, Utf8Text value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.AsSpan());
}
