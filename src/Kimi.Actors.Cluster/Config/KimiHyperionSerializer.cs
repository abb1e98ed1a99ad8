using Akka.Actor;
using Akka.Serialization;

namespace Kimi.Actors.Cluster.Configuration;

/// <summary>
/// Akka's Hyperion serializer with Kimi's allow-list always applied and unsafe types always disallowed, whatever the
/// configuration says. Bound (as <c>hyperion</c>) to <see cref="Protocol.IKimiMessage"/> by hocon/akka.conf, and
/// enforced by <see cref="ClusterBootstrap.BuildConfig"/>.
/// </summary>
/// <remarks>
/// A subclass rather than <c>HyperionSerializerSetup</c>: in Akka.Serialization.Hyperion 1.5.73 the serializer merges
/// that setup into its public <c>Settings</c> but builds the underlying Hyperion serializer from the unmerged settings,
/// so a type filter given through the setup is silently ignored. The settings passed to the base constructor here are
/// the ones it uses. Identifier and wire format are Hyperion's (-5).
/// </remarks>
public sealed class KimiHyperionSerializer(ExtendedActorSystem system, Akka.Configuration.Config config)
    : HyperionSerializer(system, Secure(system, HyperionSerializerSettings.Create(config)))
{
    private static HyperionSerializerSettings Secure(ExtendedActorSystem system, HyperionSerializerSettings settings)
    {
        var extraRoots = system.Settings.Setup.Get<KimiSerializationSetup>().Select(s => s.ExtraRoots).GetOrElse([]);
        return new HyperionSerializerSettings(settings.PreserveObjectReferences, settings.VersionTolerance, settings.KnownTypesProvider,
            settings.PackageNameOverrides, settings.Surrogates, disallowUnsafeType: true,
            KimiSerialization.TypeFilter(extraRoots.Count == 0 ? null : extraRoots));
    }
}
