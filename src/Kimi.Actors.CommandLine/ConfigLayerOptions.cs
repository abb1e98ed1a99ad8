using System.CommandLine;
using Akka.Configuration;
using Kimi.Actors.Cluster.Configuration;

namespace Kimi.Actors.CommandLine;

/// <summary>
/// The configuration layers of a command that reads a run's configuration the way <c>kimi train</c> does: <c>--preset
/// NAME</c>, <c>--config FILE</c> (repeatable, later wins) and <c>--set key=value</c> (repeatable) over the embedded
/// hocon/kimi.conf. <c>kimi train</c>, <c>kimi tasks export</c>, <c>kimi long2short</c> and the benchmarks share it, so a
/// preset means the same everywhere.
/// </summary>
public sealed class ConfigLayerOptions
{
    public Option<string?> Preset { get; } = CliOptions.Text("--preset", "NAME", $"a preset from hocon/presets ({string.Join(", ", KimiConfigLoader.Presets)})");
    public Option<string[]> Config { get; } = CliOptions.Repeated("--config", "FILE", "a HOCON file layered over the preset (repeatable, later wins)");
    public Option<string[]> Set { get; } = CliOptions.Repeated("--set", "key=value",
        "one setting over everything else (repeatable), e.g. --set rollout.temperature=0.8 (a key without kimi. or akka. is under kimi.)");

    public IEnumerable<Option> All => [Preset, Config, Set];

    /// <summary>What was given: the preset, the files and the settings, in order.</summary>
    public (string? Preset, IReadOnlyList<string> Files, IReadOnlyList<string> Settings) Read(ParseResult result) =>
        (result.GetValue(Preset), result.GetValue(Config)!, result.GetValue(Set)!);

    /// <summary>The effective configuration of what was given, with <paramref name="extra"/> settings after the user's.</summary>
    public Config Load(ParseResult result, IEnumerable<string>? extra = null, IEnumerable<string>? embedded = null)
    {
        var (preset, files, settings) = Read(result);
        return KimiConfigLoader.Load(preset, files, [.. settings, .. extra ?? []], embedded);
    }
}
