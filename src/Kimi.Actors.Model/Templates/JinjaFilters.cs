using System.Globalization;
using static Kimi.Actors.Model.Templates.JinjaValues;

namespace Kimi.Actors.Model.Templates;

/// <summary>Jinja's filters and tests, and the Python string and dict methods templates call.</summary>
internal static class JinjaFilters
{
    public static object? Apply(string name, object? v, List<object?> args, Dictionary<string, object?> kwargs, int line)
    {
        object? Arg(int i, string key, object? fallback = null) => i < args.Count ? args[i] : kwargs.TryGetValue(key, out var k) ? k : fallback;
        switch (name)
        {
            case "trim": return Arg(0, "chars") is string chars ? Text(v, name, line).Trim(chars.ToCharArray()) : Text(v, name, line).Trim();
            case "tojson":
                return ToJson(v, Arg(0, "indent") is long n ? (int)n : null, Truthy(Arg(1, "sort_keys", false)));
            case "length" or "count":
                return v switch
                {
                    string s20 => (long)s20.Length,
                    List<object?> l21 => (long)l21.Count,
                    Dictionary<string, object?> d => (long)d.Count,
                    Undefined => 0L,
                    _ => throw new TemplateException($"line {line}: {TypeName(v)} has no length"),
                };
            case "upper": return Text(v, name, line).ToUpperInvariant();
            case "lower": return Text(v, name, line).ToLowerInvariant();
            case "capitalize": { var s28 = Text(v, name, line); return s28.Length == 0 ? s28 : char.ToUpperInvariant(s28[0]) + s28[1..].ToLowerInvariant(); }
            case "title": return CultureInfo.InvariantCulture.TextInfo.ToTitleCase(Text(v, name, line).ToLowerInvariant());
            case "string": return Str(v);
            case "safe": return v;
            case "int": return v switch { long l32 => l32, double d => (long)d, bool b => b ? 1L : 0L, string s32 when long.TryParse(s32.Trim(), out var x) => x, _ => Arg(0, "default", 0L) };
            case "float": return v switch { long l33 => (double)l33, double d => d, string s33 when double.TryParse(s33.Trim(), CultureInfo.InvariantCulture, out var x) => x, _ => Arg(0, "default", 0.0) };
            case "list": return Iterate(v, line).ToList();
            case "first": { var l35 = Iterate(v, line); return l35.Count > 0 ? l35[0] : new Undefined("first"); }
            case "last": { var l36 = Iterate(v, line); return l36.Count > 0 ? l36[^1] : new Undefined("last"); }
            case "reverse": return v is string s ? new string(s.Reverse().ToArray()) : Enumerable.Reverse(Iterate(v, line)).ToList();
            case "join":
            {
                string sep = Arg(0, "d", "") is string d ? d : "";
                var items = Iterate(v, line);
                if (Arg(1, "attribute") is string attribute) items = items.Select(x => x is Dictionary<string, object?> m && m.TryGetValue(attribute, out var a) ? a : null).ToList();
                return string.Join(sep, items.Select(Str));
            }
            case "default" or "d":
            {
                bool boolean = Truthy(Arg(1, "boolean", false));
                return v is Undefined || (boolean && !Truthy(v)) ? Arg(0, "default_value", "") : v;
            }
            case "replace":
                return Text(v, name, line).Replace(Text(Arg(0, "old"), name, line), Text(Arg(1, "new"), name, line), StringComparison.Ordinal);
            case "items": return v is Dictionary<string, object?> dict ? Pairs(dict) : throw new TemplateException($"line {line}: items needs a dict, got {TypeName(v)}");
            case "abs": return v is long l ? (object)Math.Abs(l) : v is double dd ? Math.Abs(dd) : throw new TemplateException($"line {line}: abs needs a number");
            case "unique":
            {
                var result = new List<object?>();
                foreach (var x in Iterate(v, line)) if (!result.Any(r => PyEquals(r, x))) result.Add(x);
                return result;
            }
            case "map":
            {
                var items = Iterate(v, line);
                if (kwargs.TryGetValue("attribute", out var attr))
                    return items.Select(x => x is Dictionary<string, object?> m && m.TryGetValue(Str(attr), out var a) ? a : kwargs.GetValueOrDefault("default", new Undefined(Str(attr)))).ToList();
                string filter = Text(Arg(0, "filter"), name, line);
                return items.Select(x => Apply(filter, x, args.Skip(1).ToList(), [], line)).ToList();
            }
            case "select" or "reject":
            {
                string test = args.Count > 0 ? Text(args[0], name, line) : "truthy";
                return Iterate(v, line).Where(x => (test == "truthy" ? Truthy(x) : Test(test, x, args.Skip(1).ToList(), line)) == (name == "select")).ToList();
            }
            case "selectattr" or "rejectattr":
            {
                string attribute = Text(Arg(0, "attribute"), name, line);
                string? test = args.Count > 1 ? Text(args[1], name, line) : null;
                return Iterate(v, line).Where(x =>
                {
                    object? a = x is Dictionary<string, object?> m && m.TryGetValue(attribute, out var got) ? got : new Undefined(attribute);
                    return (test is null ? Truthy(a) : Test(test, a, args.Skip(2).ToList(), line)) == (name == "selectattr");
                }).ToList();
            }
            case "dictsort":
                return v is Dictionary<string, object?> ds ? Pairs(ds).OrderBy(p => (string)((List<object?>)p!)[0]!, StringComparer.Ordinal).ToList()
                    : throw new TemplateException($"line {line}: dictsort needs a dict");
            default: throw new TemplateException($"line {line}: unknown filter '{name}'");
        }
    }

    public static bool Test(string name, object? v, List<object?> args, int line) => name switch
    {
        "defined" => v is not Undefined,
        "undefined" => v is Undefined,
        "none" => v is null,
        "string" => v is string,
        "number" => v is long or double,
        "integer" => v is long,
        "float" => v is double,
        "boolean" => v is bool,
        "true" => v is true,
        "false" => v is false,
        "mapping" => v is Dictionary<string, object?> or Namespace,
        "sequence" or "iterable" => v is List<object?> or string or Dictionary<string, object?>,
        "callable" => v is JinjaFunction,
        "odd" => v is long o && o % 2 != 0,
        "even" => v is long e && e % 2 == 0,
        "divisibleby" => v is long a && args is [long b, ..] && b != 0 && a % b == 0,
        "equalto" or "eq" or "==" or "sameas" => args.Count > 0 && PyEquals(v, args[0]),
        "ne" or "!=" => args.Count > 0 && !PyEquals(v, args[0]),
        "lt" or "<" => Compare(v, args[0], line) < 0,
        "gt" or ">" => Compare(v, args[0], line) > 0,
        "le" or "<=" => Compare(v, args[0], line) <= 0,
        "ge" or ">=" => Compare(v, args[0], line) >= 0,
        "in" => args.Count > 0 && Contains(args[0], v, line),
        _ => throw new TemplateException($"line {line}: unknown test '{name}'"),
    };

    public static JinjaFunction DictMethod(Dictionary<string, object?> d, string name) => name switch
    {
        "items" => (_, _) => Pairs(d),
        "keys" => (_, _) => d.Keys.Cast<object?>().ToList(),
        "values" => (_, _) => d.Values.ToList(),
        _ => (args, _) => args.Count > 0 && args[0] is string k && d.TryGetValue(k, out var v) ? v : args.Count > 1 ? args[1] : null,
    };

    private static List<object?> Pairs(Dictionary<string, object?> d) => d.Select(p => (object?)new List<object?> { p.Key, p.Value }).ToList();

    public static JinjaFunction StringMethod(string s, string name, int line)
    {
        char[]? Chars(List<object?> args) => args.Count > 0 && args[0] is string c ? c.ToCharArray() : null;
        return name switch
        {
            "strip" => (args, _) => Chars(args) is { } c ? s.Trim(c) : s.Trim(),
            "lstrip" => (args, _) => Chars(args) is { } c ? s.TrimStart(c) : s.TrimStart(),
            "rstrip" => (args, _) => Chars(args) is { } c ? s.TrimEnd(c) : s.TrimEnd(),
            "upper" => (_, _) => s.ToUpperInvariant(),
            "lower" => (_, _) => s.ToLowerInvariant(),
            "title" => (_, _) => CultureInfo.InvariantCulture.TextInfo.ToTitleCase(s.ToLowerInvariant()),
            "capitalize" => (_, _) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant(),
            "startswith" => (args, _) => args[0] is List<object?> any ? any.Any(p => s.StartsWith(Str(p), StringComparison.Ordinal)) : s.StartsWith(Str(args[0]), StringComparison.Ordinal),
            "endswith" => (args, _) => args[0] is List<object?> any ? any.Any(p => s.EndsWith(Str(p), StringComparison.Ordinal)) : s.EndsWith(Str(args[0]), StringComparison.Ordinal),
            "replace" => (args, _) => s.Replace(Str(args[0]), Str(args[1]), StringComparison.Ordinal),
            "find" => (args, _) => (long)s.IndexOf(Str(args[0]), StringComparison.Ordinal),
            "count" => (args, _) => (long)(Str(args[0]).Length == 0 ? s.Length + 1 : (s.Length - s.Replace(Str(args[0]), "", StringComparison.Ordinal).Length) / Str(args[0]).Length),
            "join" => (args, _) => string.Join(s, Iterate(args[0], line).Select(Str)),
            "split" => (args, _) => Split(s, args.Count > 0 && args[0] is string sep ? sep : null, args.Count > 1 && args[1] is long max ? (int)max : -1),
            _ => throw new TemplateException($"line {line}: str has no method '{name}'"),
        };
    }

    /// <summary>Python's str.split: with a separator, exact splits (at most max); without, runs of whitespace.</summary>
    private static List<object?> Split(string s, string? separator, int max)
    {
        if (separator is not null)
        {
            if (separator.Length == 0) throw new TemplateException("split: empty separator");
            return (max < 0 ? s.Split(separator) : s.Split(separator, max + 1)).Cast<object?>().ToList();
        }
        var parts = s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (max >= 0 && parts.Length > max + 1)
        {
            var head = s.TrimStart().Split((char[]?)null, max + 1, StringSplitOptions.RemoveEmptyEntries);
            head[^1] = head[^1].TrimStart();
            return head.Cast<object?>().ToList();
        }
        return parts.Cast<object?>().ToList();
    }

    private static string Text(object? v, string filter, int line) => v switch
    {
        string s => s,
        Undefined => "",
        null => "None",
        _ when filter is "trim" or "upper" or "lower" or "replace" or "capitalize" or "title" => Str(v),
        _ => throw new TemplateException($"line {line}: {filter} needs a string, got {TypeName(v)}"),
    };
}
