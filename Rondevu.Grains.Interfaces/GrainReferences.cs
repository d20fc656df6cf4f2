namespace Rondevu.Grains;

/// <summary>
/// The grain references every request asks for. <see cref="IGrainFactory.GetGrain{TGrainInterface}(string, string)"/>
/// reads the interface's attributes by reflection on every call (5% of a handshake's CPU in the profile), and its
/// integer-key overload formats and parses the interface's type name (2.4%, for the topics' index reports); the grain
/// and interface types never change, so they are resolved once per interface and reused.
/// </summary>
public static class GrainReferences
{
    /// <summary>Prefixed, because Orleans refuses a blank grain key and " " is a valid topic.</summary>
    private const string TopicPrefix = "topic:";

    public static IOfferGrain GetOfferGrain(this IGrainFactory grains, string offerId) => Get<IOfferGrain>(grains, offerId);

    public static IPeerGrain GetPeerGrain(this IGrainFactory grains, string peerId) => Get<IPeerGrain>(grains, peerId);

    public static IPeerInbox GetPeerInbox(this IGrainFactory grains, string peerId) => Get<IPeerInbox>(grains, peerId);

    public static ITopicGrain GetTopicGrain(this IGrainFactory grains, string topic) => Get<ITopicGrain>(grains, TopicPrefix + topic);

    public static ITopicIndexGrain GetTopicIndexGrain(this IGrainFactory grains, int shard) =>
        Get(grains, GrainIdKeyExtensions.CreateIntegerKey(shard), static grains => grains.GetGrain<ITopicIndexGrain>(0));

    public static string TopicOf(string topicGrainKey) => topicGrainKey[TopicPrefix.Length..];

    private static T Get<T>(IGrainFactory grains, string key) where T : IGrainWithStringKey =>
        Get(grains, IdSpan.Create(key), static grains => grains.GetGrain<T>("-"));

    /// <param name="any">Any reference of the interface, asked for once the Orleans way to learn its types.</param>
    private static T Get<T>(IGrainFactory grains, IdSpan key, Func<IGrainFactory, T> any) where T : IAddressable
    {
        var (grainType, interfaceType) = Types<T>.Resolved ??= Resolve((GrainReference)(object)any(grains));
        return (T)grains.GetGrain(GrainId.Create(grainType, key), interfaceType);
    }

    private static (GrainType, GrainInterfaceType) Resolve(GrainReference reference) => (reference.GrainId.Type, reference.InterfaceType);

    private static class Types<T>
    {
        public static (GrainType, GrainInterfaceType)? Resolved;
    }
}
