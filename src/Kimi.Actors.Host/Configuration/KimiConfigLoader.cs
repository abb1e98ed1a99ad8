using System.Reflection;
using Akka.Configuration;
using Kimi.Actors.Cluster.Configuration;

namespace Kimi.Actors.Host.Configuration;

/// <summary>
/// Builds the effective configuration from layers, later winning: the embedded hocon/kimi.conf, a preset,
/// extra files, then --set overrides. Parse errors name the file (or the override) that failed.
/// </summary>
public static class KimiConfigLoader
{
    public const string DefaultsResource = "hocon/kimi.conf";

    public static IReadOnlyList<string> Presets => typeof(KimiConfigLoader).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith("hocon/presets/") && n.EndsWith(".conf"))
        .Select(n => n["hocon/presets/".Length..^".conf".Length]).Order().ToList();

    public static string ReadEmbedded(string name)
    {
        using var stream = typeof(KimiConfigLoader).Assembly.GetManifestResourceStream(name)
            ?? throw new ConfigException($"embedded configuration '{name}' is missing from this build");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public static Config Load(string? preset, IEnumerable<string> files, IEnumerable<string> overrides, IEnumerable<string>? extraEmbedded = null)
    {
        var layers = new List<(string Source, string Text)> { (DefaultsResource, ReadEmbedded(DefaultsResource)) };
        foreach (var name in extraEmbedded ?? []) layers.Add((name, ReadEmbedded(name)));
        if (!string.IsNullOrEmpty(preset))
        {
            if (!Presets.Contains(preset))
                throw new ConfigException($"unknown preset '{preset}': available presets are {string.Join(", ", Presets)}");
            layers.Add(($"hocon/presets/{preset}.conf", ReadEmbedded($"hocon/presets/{preset}.conf")));
        }
        foreach (var file in files)
        {
            if (!File.Exists(file)) throw new ConfigException($"configuration file '{file}' does not exist");
            layers.Add((file, File.ReadAllText(file)));
        }
        foreach (var o in overrides)
        {
            int eq = o.IndexOf('=');
            if (eq <= 0) throw new ConfigException($"--set '{o}': expected key=value, e.g. --set kimi.rollout.temperature=0.8");
            var key = o[..eq].Trim();
            if (!key.StartsWith("kimi.") && !key.StartsWith("akka.")) key = "kimi." + key;
            layers.Add(($"--set {o}", $"{key} = {QuoteIfNeeded(o[(eq + 1)..].Trim())}"));
        }

        Config result = ConfigurationFactory.Empty;
        foreach (var (source, text) in layers)
        {
            Config layer;
            try { layer = ConfigurationFactory.ParseString(text); }
            catch (Exception e) { throw new ConfigException($"{source}: cannot parse HOCON: {e.Message}"); }
            result = layer.WithFallback(result);
        }
        return result;
    }

    /// <summary>Bare words stay HOCON (numbers, booleans, lists); anything HOCON would misread is quoted.</summary>
    private static string QuoteIfNeeded(string value)
    {
        if (value.Length == 0) return "\"\"";
        if (value.StartsWith('[') || value.StartsWith('{') || value.StartsWith('"')) return value;
        bool plain = value.All(c => char.IsLetterOrDigit(c) || c is '.' or '-' or '_' or '+');
        return plain ? value : "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
    }
}
