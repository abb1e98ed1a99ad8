using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.Json;
using Kimi.Actors.Cluster.Workers;

namespace Kimi.Actors.CommandLine;

/// <summary>
/// Options of every command (kimi's and Kimi.Bench's), built to one set of rules: <c>--name VALUE</c> or
/// <c>--name=VALUE</c>, one value per occurrence; a single-valued option given twice, an option without its value (or
/// followed by another option) and a value that does not convert are errors naming the option and the value.
/// </summary>
public static class CliOptions
{
    /// <summary>A string; <paramref name="problem"/> says what is wrong with a value (null: nothing). Never empty.</summary>
    public static Option<string?> Text(string name, string helpName, string description, Func<string, string?>? problem = null) =>
        Single<string?>(name, helpName, description, Checked(name, problem));

    /// <summary>A string with a default shown in help.</summary>
    public static Option<string> Text(string name, string helpName, string description, string defaultValue, Func<string, string?>? problem = null) =>
        WithDefault(Single<string>(name, helpName, description, Checked(name, problem)!), defaultValue);

    /// <summary>A string that may be given any number of times (<c>--set a=1 --set b=2</c>), in the order given.</summary>
    public static Option<string[]> Repeated(string name, string helpName, string description)
    {
        var option = Create<string[]>(name, helpName, description);
        option.DefaultValueFactory = _ => [];
        option.CustomParser = result => MissingValue(result, name) ? [] : result.Tokens.Select(t => t.Value).ToArray();
        return option;
    }

    /// <summary>An integer of at least <paramref name="min"/>; '_' and ',' may separate digits (1_000_000).</summary>
    public static Option<int?> Int(string name, string helpName, string description, int min) =>
        Single<int?>(name, helpName, description, text => (int)Integer(name, text, min, int.MaxValue));

    /// <summary>An integer of at least <paramref name="min"/> with a default shown in help.</summary>
    public static Option<int> Int(string name, string helpName, string description, int min, int defaultValue) =>
        WithDefault(Single<int>(name, helpName, description, text => (int)Integer(name, text, min, int.MaxValue)), defaultValue);

    /// <summary>A 64-bit integer of at least <paramref name="min"/>.</summary>
    public static Option<long?> Long(string name, string helpName, string description, long min) =>
        Single<long?>(name, helpName, description, text => Integer(name, text, min, long.MaxValue));

    /// <summary>
    /// A switch that may carry an integer in [<paramref name="min"/>, <paramref name="max"/>]: alone (<c>--serve</c>) it
    /// gives <paramref name="whenAlone"/>, with a value (<c>--serve 4100</c>) that value; absent, null.
    /// </summary>
    public static Option<int?> OptionalInt(string name, string helpName, string description, int min, int max, int whenAlone)
    {
        var option = new Option<int?>(name)
        {
            HelpName = helpName, Description = description, Arity = ArgumentArity.ZeroOrOne, AllowMultipleArgumentsPerToken = false,
        };
        option.CustomParser = result =>
        {
            if (result.Tokens.Count == 0) return whenAlone;
            try { return (int)Integer(name, result.Tokens[0].Value, min, max); }
            catch (BadValue e)
            {
                result.AddError(e.Message);
                return null;
            }
        };
        return option;
    }

    /// <summary>An id (<see cref="CommandLineIds"/>) of at most <paramref name="maxLength"/> characters.</summary>
    public static Option<string?> Id(string name, string helpName, string description, int maxLength) =>
        Text(name, helpName, description, id => CommandLineIds.Problem(id, maxLength));

    /// <summary>A device: cpu, cuda or cuda:N, and auto (CUDA when there is one) when <paramref name="allowAuto"/>.</summary>
    public static Option<string> Device(string description, string defaultValue, bool allowAuto) =>
        Text("--device", "D", description, defaultValue, DeviceProblem(allowAuto));

    /// <summary><see cref="Device"/> without a default (absent: the configuration decides).</summary>
    public static Option<string?> Device(string description, bool allowAuto) =>
        Text("--device", "D", description, DeviceProblem(allowAuto));

    private static Func<string, string?> DeviceProblem(bool allowAuto) => spec =>
        DevicePool.IsDeviceName(spec) || (allowAuto && spec == "auto") ? null
            : allowAuto ? "expected cpu, cuda, cuda:N or auto" : "expected cpu, cuda or cuda:N";

    /// <summary>Marks <paramref name="option"/> required: help says so, and leaving it out is an error naming it.</summary>
    public static T Required<T>(this T option) where T : Option
    {
        option.Required = true;
        return option;
    }

    private static Option<T> Create<T>(string name, string helpName, string description) => new(name)
    {
        HelpName = helpName,
        Description = description,
        // Zero-or-more per occurrence lets the parser below name the option when its value is missing or repeated
        // (the library's own arity errors do not say which rule was broken); one token per occurrence, never "--set a b".
        Arity = ArgumentArity.ZeroOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    /// <summary>A value the converter refuses; its message names the option and the value.</summary>
    private sealed class BadValue(string message) : Exception(message);

    private static Option<T> Single<T>(string name, string helpName, string description, Func<string, T> convert)
    {
        var option = Create<T>(name, helpName, description);
        option.CustomParser = result =>
        {
            if (MissingValue(result, name)) return default!;
            if (result.Tokens.Count > 1)
            {
                result.AddError($"{name} given {result.Tokens.Count} times");
                return default!;
            }
            try { return convert(result.Tokens[0].Value); }
            catch (BadValue e)
            {
                result.AddError(e.Message);
                return default!;
            }
        };
        return option;
    }

    private static Option<T> WithDefault<T>(Option<T> option, T defaultValue)
    {
        option.DefaultValueFactory = _ => defaultValue;
        return option;
    }

    /// <summary>An occurrence without a value (the next token was another option, or nothing).</summary>
    private static bool MissingValue(ArgumentResult result, string name)
    {
        // A following option the parser does not know ends up here as a value; a value is never spelled like an option.
        if (result.Tokens.Count > 0 && result.Tokens.All(t => !(t.Value.StartsWith("--") && t.Value.Length > 2))) return false;
        result.AddError($"{name} needs a value");
        return true;
    }

    private static Func<string, string?> Checked(string name, Func<string, string?>? problem) => text =>
        (problem?.Invoke(text) ?? (text.Length == 0 ? "cannot be empty" : null)) is { } p ? throw new BadValue($"{name} {Quote(text)}: {p}") : text;

    private static long Integer(string name, string text, long min, long max)
    {
        var digits = text.Replace("_", "").Replace(",", "");
        bool parsed = long.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long x);
        if (parsed && x >= min && x <= max) return x;
        var c = CultureInfo.InvariantCulture;
        throw new BadValue($"{name} {Quote(text)}: expected an integer >= {min.ToString(c)}" + (parsed && x > max ? $" and <= {max.ToString(c)}" : ""));
    }

    /// <summary>The value as typed, or as a JSON string (quoted, control characters escaped) when it would not read as one word.</summary>
    private static string Quote(string text) =>
        text.Length > 0 && text.All(c => c > ' ' && c < 0x7f && c != '"') ? text : JsonSerializer.Serialize(text);
}
