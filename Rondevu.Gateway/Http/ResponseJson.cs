using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rondevu.Gateway.Http;

/// <summary>The response bodies' JSON contracts, generated at build time: no reflection-built converters per type
/// at run time. Same output as before: camelCase, a field without a value omitted (docs/API.md).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(InfoResponse))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(RegisterResponse))]
[JsonSerializable(typeof(CreateOffersResponse))]
[JsonSerializable(typeof(DiscoveryResponse))]
[JsonSerializable(typeof(TopicsResponse))]
[JsonSerializable(typeof(PeerOffersResponse))]
[JsonSerializable(typeof(MyOffersResponse))]
[JsonSerializable(typeof(HeartbeatResponse))]
[JsonSerializable(typeof(DeleteResponse))]
[JsonSerializable(typeof(AnswerResponse))]
[JsonSerializable(typeof(AnswersResponse))]
[JsonSerializable(typeof(CandidatesAddedResponse))]
[JsonSerializable(typeof(CandidatesResponse))]
[JsonSerializable(typeof(PollResponse))]
internal sealed partial class ResponseJson : JsonSerializerContext;
