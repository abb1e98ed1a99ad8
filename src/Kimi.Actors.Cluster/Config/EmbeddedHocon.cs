using Akka.Configuration;

namespace Kimi.Actors.Cluster.Configuration;

/// <summary>The hocon/ files embedded in this assembly, the fallbacks of the node settings that read them.</summary>
public static class EmbeddedHocon
{
    public static Config Parse(string name)
    {
        using var stream = typeof(EmbeddedHocon).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"embedded configuration '{name}' is missing from this build");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }
}
