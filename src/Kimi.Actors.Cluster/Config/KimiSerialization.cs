using Hyperion;
using Kimi.Actors.Cluster.Protocol;

namespace Kimi.Actors.Cluster.Configuration;

/// <summary>
/// Hyperion for Kimi's messages (<see cref="KimiHyperionSerializer"/>), with a type allow-list. Hyperion writes the
/// name of every object's type that its field does not imply; on reading, with <c>disallow-unsafe-type</c> on, each
/// name is checked against the filter before the type is even loaded, so a type outside the list is rejected
/// (<see cref="Hyperion.Internal.UserEvilDeserializationException"/>) and never instantiated. Writing checks the
/// message's own type too, so a sender fails fast on a message its receivers would refuse.
/// </summary>
/// <remarks>
/// The list is derived, not written by hand (<see cref="AllowList"/>): every concrete <see cref="IKimiMessage"/> of this
/// assembly and every type Hyperion may name while writing one. A new message type needs no registration. A type only
/// reachable through an <see cref="object"/> field, or an implementation of an interface-typed field that lives outside
/// Kimi's assemblies, is passed as an extra root.
/// </remarks>
public static class KimiSerialization
{
    private static readonly Lazy<IReadOnlyList<Type>> Messages = new(() => typeof(IKimiMessage).Assembly.GetTypes()
        .Where(t => typeof(IKimiMessage).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false, ContainsGenericParameters: false })
        .OrderBy(t => t.FullName, StringComparer.Ordinal)
        .ToList());

    private static readonly Lazy<AllowList> Protocol = new(() => AllowList.For(MessageTypes));

    /// <summary>Every concrete message and event type of the protocol (this assembly), ordered by name.</summary>
    public static IReadOnlyList<Type> MessageTypes => Messages.Value;

    /// <summary>The protocol's allow-list: <see cref="MessageTypes"/> and every type they can carry.</summary>
    public static AllowList AllowedTypes => Protocol.Value;

    /// <summary>Hyperion's type filter over <see cref="AllowedTypes"/>, widened by the closure of <paramref name="extraRoots"/>.</summary>
    public static ITypeFilter TypeFilter(IEnumerable<Type>? extraRoots = null) =>
        new KimiTypeFilter(extraRoots is null ? AllowedTypes : AllowList.For(MessageTypes.Concat(extraRoots)));

    /// <summary>The ActorSystem setup that widens <see cref="KimiHyperionSerializer"/>'s filter by <paramref name="extraRoots"/>.</summary>
    public static KimiSerializationSetup Setup(IEnumerable<Type> extraRoots) => new([.. extraRoots]);
}
