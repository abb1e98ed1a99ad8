using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Kimi.Actors.Model.Templates;

/// <summary>A name or key with no value: renders as nothing, is false, iterates as empty; using it further is an error.</summary>
internal sealed record Undefined(string Name)
{
    public override string ToString() => "";
}

/// <summary>Jinja's namespace(): an object whose attributes a loop body may set (plain sets there stay local).</summary>
internal sealed class Namespace(Dictionary<string, object?> values)
{
    public Dictionary<string, object?> Values { get; } = values;
}

/// <summary>A callable value: global functions and bound methods.</summary>
internal delegate object? JinjaFunction(List<object?> args, Dictionary<string, object?> kwargs);

/// <summary>Python semantics for the values templates handle: None, bool, long, double, string, list, dict.</summary>
internal static class JinjaValues
{
    /// <summary>Converts JSON (messages, tools) into template values.</summary>
    public static object? FromJson(JsonNode? node) => node switch
    {
        null => null,
        JsonObject o => o.ToDictionary(p => p.Key, p => FromJson(p.Value)),
        JsonArray a => a.Select(FromJson).ToList(),
        JsonValue v when v.TryGetValue(out bool b) => b,
        JsonValue v when v.TryGetValue(out long l) => l,
        JsonValue v when v.TryGetValue(out double d) => d,
        JsonValue v => v.GetValue<string>(),
        _ => throw new TemplateException($"unsupported JSON value {node}"),
    };

    /// <summary>Turns CLR values a caller passes (dictionaries, lists, numbers) into template values.</summary>
    public static object? FromClr(object? value) => value switch
    {
        null or string or bool or long or double or Undefined or Namespace or JinjaFunction => value,
        int i => (long)i,
        float f => (double)f,
        JsonNode n => FromJson(n),
        IReadOnlyDictionary<string, object?> d => d.ToDictionary(p => p.Key, p => FromClr(p.Value)),
        IDictionary<string, object?> d => d.ToDictionary(p => p.Key, p => FromClr(p.Value)),
        System.Collections.IEnumerable e => e.Cast<object?>().Select(FromClr).ToList(),
        _ => value.ToString(),
    };

    public static bool Truthy(object? v) => v switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        List<object?> l => l.Count > 0,
        Dictionary<string, object?> d => d.Count > 0,
        _ => true,
    };

    /// <summary>Python's str().</summary>
    public static string Str(object? v) => v switch
    {
        null => "None",
        Undefined => "",
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => PyFloat(d),
        string s => s,
        _ => Repr(v),
    };

    /// <summary>Python's repr() (lists and dicts render their items with it).</summary>
    public static string Repr(object? v) => v switch
    {
        string s => "'" + s.Replace("\\", "\\\\").Replace("'", "\\'").Replace("\n", "\\n") + "'",
        List<object?> l => "[" + string.Join(", ", l.Select(Repr)) + "]",
        Dictionary<string, object?> d => "{" + string.Join(", ", d.Select(p => Repr(p.Key) + ": " + Repr(p.Value))) + "}",
        Namespace => "<Namespace>",
        _ => Str(v),
    };

    private static string PyFloat(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsInfinity(d)) return d > 0 ? "inf" : "-inf";
        if (d == Math.Floor(d) && Math.Abs(d) < 1e16) return d.ToString("0.0", CultureInfo.InvariantCulture);
        string r = d.ToString("R", CultureInfo.InvariantCulture);
        int e = r.IndexOf('E');
        if (e < 0) return r;
        string exp = r[(e + 1)..];
        string sign = exp.StartsWith('-') ? "-" : "+";
        exp = exp.TrimStart('+', '-').PadLeft(2, '0');
        return r[..e] + "e" + sign + exp;
    }

    /// <summary>transformers' tojson: json.dumps(value, ensure_ascii=False, indent=indent, separators, sort_keys).</summary>
    public static string ToJson(object? v, int? indent, bool sortKeys)
    {
        var sb = new StringBuilder();
        Write(v, 0);
        return sb.ToString();

        void Write(object? x, int depth)
        {
            switch (x)
            {
                case null or Undefined: sb.Append("null"); break;
                case bool b: sb.Append(b ? "true" : "false"); break;
                case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
                case double d: sb.Append(double.IsFinite(d) ? PyFloat(d) : d > 0 ? "Infinity" : d < 0 ? "-Infinity" : "NaN"); break;
                case string s: JsonString(sb, s); break;
                case List<object?> list:
                    if (list.Count == 0) { sb.Append("[]"); break; }
                    sb.Append('[');
                    for (int i = 0; i < list.Count; i++)
                    {
                        if (i > 0) sb.Append(indent is null ? ", " : ",");
                        NewLine(depth + 1);
                        Write(list[i], depth + 1);
                    }
                    NewLine(depth);
                    sb.Append(']');
                    break;
                case Dictionary<string, object?> dict:
                    if (dict.Count == 0) { sb.Append("{}"); break; }
                    sb.Append('{');
                    var pairs = sortKeys ? dict.OrderBy(p => p.Key, StringComparer.Ordinal).ToList() : dict.ToList();
                    for (int i = 0; i < pairs.Count; i++)
                    {
                        if (i > 0) sb.Append(indent is null ? ", " : ",");
                        NewLine(depth + 1);
                        JsonString(sb, pairs[i].Key);
                        sb.Append(": ");
                        Write(pairs[i].Value, depth + 1);
                    }
                    NewLine(depth);
                    sb.Append('}');
                    break;
                case Namespace ns: Write(ns.Values, depth); break;
                default: throw new TemplateException($"tojson: a {x.GetType().Name} is not JSON");
            }
        }

        void NewLine(int depth)
        {
            if (indent is int n) sb.Append('\n').Append(' ', n * depth);
        }
    }

    private static void JsonString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }

    public static bool IsNumber(object? v) => v is long or double or bool;

    private static double Num(object? v) => v switch { long l => l, double d => d, bool b => b ? 1 : 0, _ => double.NaN };

    public static bool PyEquals(object? a, object? b)
    {
        if (a is null || b is null) return a is null && b is null;
        if (IsNumber(a) && IsNumber(b)) return Num(a) == Num(b);
        return (a, b) switch
        {
            (string x, string y) => x == y,
            (List<object?> x, List<object?> y) => x.Count == y.Count && x.Zip(y).All(p => PyEquals(p.First, p.Second)),
            (Dictionary<string, object?> x, Dictionary<string, object?> y) => x.Count == y.Count && x.All(p => y.TryGetValue(p.Key, out var o) && PyEquals(p.Value, o)),
            (Undefined, Undefined) => true,
            _ => ReferenceEquals(a, b),
        };
    }

    public static int Compare(object? a, object? b, int line)
    {
        if (IsNumber(a) && IsNumber(b)) return Num(a).CompareTo(Num(b));
        if (a is string x && b is string y) return string.CompareOrdinal(x, y);
        throw new TemplateException($"line {line}: cannot order {TypeName(a)} and {TypeName(b)}");
    }

    public static object? Arithmetic(string op, object? a, object? b, int line)
    {
        if (a is Undefined u || b is Undefined) throw new TemplateException($"line {line}: '{(a as Undefined ?? (Undefined)b!).Name}' is undefined");
        switch (op)
        {
            case "+" when a is string s && b is string t: return s + t;
            case "+" when a is List<object?> l && b is List<object?> m: return l.Concat(m).ToList();
            case "*" when a is string s && b is long n: return string.Concat(Enumerable.Repeat(s, (int)Math.Max(0, n)));
            case "*" when a is List<object?> l && b is long n: return Enumerable.Repeat(l, (int)Math.Max(0, n)).SelectMany(x => x).ToList();
        }
        if (!IsNumber(a) || !IsNumber(b)) throw new TemplateException($"line {line}: unsupported operand types for {op}: {TypeName(a)} and {TypeName(b)}");
        bool ints = a is long or bool && b is long or bool;
        double x = Num(a), y = Num(b);
        if (op is "/" or "//" or "%" && y == 0) throw new TemplateException($"line {line}: division by zero");
        return op switch
        {
            // Boxed per branch: a conditional of long and double would make every result a double.
            "+" => ints ? (object)((long)x + (long)y) : x + y,
            "-" => ints ? (object)((long)x - (long)y) : x - y,
            "*" => ints ? (object)((long)x * (long)y) : x * y,
            "/" => x / y,
            "//" => ints ? (object)(long)Math.Floor(x / y) : Math.Floor(x / y),
            "%" => ints ? (object)(long)(x - y * Math.Floor(x / y)) : x - y * Math.Floor(x / y),
            "**" => ints && y >= 0 ? (object)(long)Math.Pow(x, y) : Math.Pow(x, y),
            _ => throw new TemplateException($"line {line}: unknown operator {op}"),
        };
    }

    public static bool Contains(object? container, object? item, int line) => container switch
    {
        string s when item is string t => s.Contains(t, StringComparison.Ordinal),
        List<object?> l => l.Any(x => PyEquals(x, item)),
        Dictionary<string, object?> d => item is string k && d.ContainsKey(k),
        Undefined u => throw new TemplateException($"line {line}: '{u.Name}' is undefined"),
        _ => throw new TemplateException($"line {line}: 'in' needs a string, list or dict, got {TypeName(container)}"),
    };

    /// <summary>Items of an iterable: list items, dict keys, string characters; undefined iterates as empty.</summary>
    public static List<object?> Iterate(object? v, int line) => v switch
    {
        List<object?> l => l,
        Dictionary<string, object?> d => d.Keys.Cast<object?>().ToList(),
        string s => s.Select(c => (object?)c.ToString()).ToList(),
        Undefined => [],
        _ => throw new TemplateException($"line {line}: {TypeName(v)} is not iterable"),
    };

    public static string TypeName(object? v) => v switch
    {
        null => "None",
        Undefined u => $"undefined '{u.Name}'",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        List<object?> => "list",
        Dictionary<string, object?> => "dict",
        _ => v.GetType().Name,
    };
}
