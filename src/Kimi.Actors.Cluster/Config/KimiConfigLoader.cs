using System.Reflection;
using Akka.Configuration;


namespace Kimi.Actors.Cluster.Configuration;

/// <summary>
/// Builds the effective configuration from layers, later winning: the embedded hocon/kimi.conf, a preset,
/// extra files, then --set overrides. Parse errors name the file (or the override) that failed.
/// </summary>
public static class KimiConfigLoader
{
    public const string DefaultsResource = "hocon/kimi.conf";

    /// <summary>
    /// When set, the folder the hocon/ layers are read from instead of the copies embedded in this build (Kubernetes:
    /// the ConfigMap generated from hocon/, mounted at /etc/kimi/hocon), so editing it changes what every node runs.
    /// </summary>
    public const string HoconDirVariable = "KIMI_HOCON_DIR";

    private static string? HoconDir => Environment.GetEnvironmentVariable(HoconDirVariable) is { Length: > 0 } dir ? dir : null;

    public static IReadOnlyList<string> Presets => (HoconDir is { } dir
            ? (Directory.Exists(Path.Combine(dir, "presets")) ? Directory.GetFiles(Path.Combine(dir, "presets"), "*.conf") : [])
                .Select(f => "hocon/presets/" + Path.GetFileName(f))
            : typeof(KimiConfigLoader).Assembly.GetManifestResourceNames())
        .Where(n => n.StartsWith("hocon/presets/") && n.EndsWith(".conf"))
        .Select(n => n["hocon/presets/".Length..^".conf".Length]).Order().ToList();

    /// <summary>A shipped layer by its name under hocon/ (<c>hocon/akka.conf</c>): embedded, or from <see cref="HoconDirVariable"/>.</summary>
    public static string ReadEmbedded(string name)
    {
        if (HoconDir is { } dir)
        {
            var file = Path.Combine(dir, name.StartsWith("hocon/") ? name["hocon/".Length..] : name);
            if (!File.Exists(file))
                throw new ConfigException($"{HoconDirVariable}={dir}: '{file}' does not exist (the folder must hold every file of hocon/)");
            return File.ReadAllText(file);
        }
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
            var (key, value) = SplitOverride(o);
            layers.Add(($"--set {o}", $"{key} = {QuoteIfNeeded(value)}"));
        }

        Config result = ConfigurationFactory.Empty;
        foreach (var (source, text) in layers)
        {
            Config layer;
            if (UnbalancedBracket(text) is { } problem) throw new ConfigException($"{source}: cannot parse HOCON: {problem}");
            try { layer = ConfigurationFactory.ParseString(text); }
            catch (Exception e) { throw new ConfigException($"{source}: cannot parse HOCON: {e.Message}"); }
            result = layer.WithFallback(result);
        }
        return result;
    }

    /// <summary>
    /// The full key and the value of a <c>--set key=value</c> override; a key outside <c>kimi.</c> and <c>akka.</c> is
    /// taken as relative to <c>kimi.</c> (<c>rollout.temperature</c> is <c>kimi.rollout.temperature</c>).
    /// </summary>
    public static (string Key, string Value) SplitOverride(string setting)
    {
        int eq = setting.IndexOf('=');
        if (eq <= 0) throw new ConfigException($"--set '{setting}': expected key=value, e.g. --set kimi.rollout.temperature=0.8");
        var key = setting[..eq].Trim();
        if (!key.StartsWith("kimi.") && !key.StartsWith("akka.")) key = "kimi." + key;
        return (key, setting[(eq + 1)..].Trim());
    }

    /// <summary>
    /// Where the braces and brackets of HOCON <paramref name="text"/> do not pair up (outside strings and comments), or
    /// null. Akka's parser accepts a text that ends inside an object or a list and keeps what it read, so a file missing
    /// its last <c>}</c> would otherwise run on the defaults of everything after the gap.
    /// </summary>
    public static string? UnbalancedBracket(string text)
    {
        const string Triple = "\"\"\"";
        var open = new Stack<(char Bracket, int Line)>();
        int line = 1;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '\n') line++;
            else if (c == '#' || (c == '/' && i + 1 < text.Length && text[i + 1] == '/'))
            {
                while (i + 1 < text.Length && text[i + 1] != '\n') i++;
            }
            else if (string.CompareOrdinal(text, i, Triple, 0, 3) == 0)
            {
                int end = text.IndexOf(Triple, i + 3, StringComparison.Ordinal);
                if (end < 0) return $"line {line}: a {Triple} string is never closed";
                while (end + 3 < text.Length && text[end + 3] == '"') end++;   // quotes before the closing three belong to the string
                line += text.AsSpan(i, end - i).Count('\n');
                i = end + 2;
            }
            else if (c == '"')
            {
                for (i++; i < text.Length && text[i] != '"' && text[i] != '\n'; i++)
                    if (text[i] == '\\') i++;
                if (i >= text.Length || text[i] == '\n') return $"line {line}: a quoted string is never closed";
            }
            else if (c is '{' or '[') open.Push((c, line));
            else if (c is '}' or ']')
            {
                char expected = c == '}' ? '{' : '[';
                if (!open.TryPop(out var o) || o.Bracket != expected) return $"line {line}: unexpected '{c}'";
            }
        }
        return open.TryPeek(out var unclosed) ? $"line {unclosed.Line}: '{unclosed.Bracket}' is never closed" : null;
    }

    /// <summary>Bare words stay HOCON (numbers, booleans, lists); anything HOCON would misread is quoted.</summary>
    public static string QuoteIfNeeded(string value)
    {
        if (value.Length == 0) return "\"\"";
        if (value.StartsWith('[') || value.StartsWith('{') || value.StartsWith('"')) return value;
        bool plain = value.All(c => char.IsLetterOrDigit(c) || c is '.' or '-' or '_' or '+');
        return plain ? value : "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
    }
}
