using System.Globalization;

namespace Kimi.Bench;

/// <summary>Reads "--name value" pairs; any option not in the allowed set, or without a value, is a usage error.</summary>
public sealed class OptionReader
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public OptionReader(string[] args, params string[] allowed)
    {
        for (int k = 0; k < args.Length; k++)
        {
            string name = args[k];
            if (!allowed.Contains(name))
                throw new UsageException($"unknown option '{name}' (allowed: {string.Join(", ", allowed)})");
            if (k + 1 >= args.Length)
                throw new UsageException($"option '{name}' needs a value");
            _values[name] = args[++k];
        }
    }

    public string? String(string name) => _values.GetValueOrDefault(name);

    /// <summary>A positive integer option; underscores and commas are accepted as digit separators.</summary>
    public int PositiveInt(string name, int defaultValue)
    {
        if (!_values.TryGetValue(name, out string? text))
            return defaultValue;
        string digits = text.Replace("_", "").Replace(",", "");
        return int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value > 0
            ? value
            : throw new UsageException($"option '{name}' needs a positive integer, got '{text}'");
    }
}
