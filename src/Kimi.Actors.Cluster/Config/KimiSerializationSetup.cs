using Akka.Actor.Setup;

namespace Kimi.Actors.Cluster.Configuration;

/// <summary>
/// ActorSystem setup for <see cref="KimiHyperionSerializer"/>: types to admit beyond the protocol's allow-list (with
/// everything they carry). Without it the serializer admits exactly the protocol.
/// </summary>
public sealed class KimiSerializationSetup(IReadOnlyCollection<Type> extraRoots) : Setup
{
    public IReadOnlyCollection<Type> ExtraRoots { get; } = extraRoots;
}
