using Kimi.Actors.Cluster.Protocol;

namespace Kimi.Actors.Cluster.Tests.Serialization;

/// <summary>A message type that is not part of the protocol's assembly, so not on the allow-list.</summary>
public sealed record UnlistedMessage(string Text) : IKimiMessage;

/// <summary>
/// Three records with one field each and names of equal length, so a frame written for one can be patched to name
/// another. Omega and Gamma record any initialisation (static or instance) in <see cref="ProbeLog"/>.
/// </summary>
public sealed record ProbeAlpha(string Text) : IKimiMessage;

public sealed record ProbeOmega(string Text) : IKimiMessage
{
    static ProbeOmega() => ProbeLog.OmegaInitialised = true;

    public string Text { get; init; } = Touch(Text);

    private static string Touch(string text)
    {
        ProbeLog.OmegaInitialised = true;
        return text;
    }
}

public sealed record ProbeGamma(string Text) : IKimiMessage
{
    static ProbeGamma() => ProbeLog.GammaInitialised = true;
}

/// <summary>Kept apart from the probes, so reading a flag never initialises a probe type.</summary>
public static class ProbeLog
{
    public static volatile bool OmegaInitialised;
    public static volatile bool GammaInitialised;
}
