using System.Globalization;
using System.Text;
using static Kimi.Actors.Model.Templates.JinjaValues;

namespace Kimi.Actors.Model.Templates;

/// <summary>
/// A parsed Jinja template in the subset Hugging Face chat templates use, rendered with the settings transformers
/// uses for them (trim_blocks, lstrip_blocks, loop controls, its tojson, raise_exception, strftime_now). No Jinja
/// library exists for .NET (Scriban, Fluid, DotLiquid and Handlebars speak other languages), so this is written here;
/// what it does not know (macros, call blocks, recursive loops) is refused at parse time, never rendered wrongly.
/// </summary>
public sealed class JinjaTemplate
{
    private readonly List<Node> _body;

    private JinjaTemplate(List<Node> body) => _body = body;

    /// <summary>Parses <paramref name="source"/>; a syntax error is a <see cref="TemplateException"/> naming the line.</summary>
    public static JinjaTemplate Parse(string source) => new(JinjaParser.Parse(source));

    /// <summary>Renders with the given variables (strings, numbers, bools, lists, dictionaries, JSON nodes).</summary>
    public string Render(IReadOnlyDictionary<string, object?> variables)
    {
        var globals = new Dictionary<string, object?>(Globals);
        foreach (var (k, v) in variables) globals[k] = FromClr(v);
        var sb = new StringBuilder();
        new Renderer(sb).Run(_body, new Scope(globals, null));
        return sb.ToString();
    }

    private static readonly Dictionary<string, object?> Globals = new()
    {
        ["raise_exception"] = (JinjaFunction)((args, _) => throw new TemplateException($"the template raised an error: {(args.Count > 0 ? Str(args[0]) : "")}")),
        ["namespace"] = (JinjaFunction)((args, kwargs) =>
        {
            var values = args.Count > 0 && args[0] is Dictionary<string, object?> d ? new Dictionary<string, object?>(d) : [];
            foreach (var (k, v) in kwargs) values[k] = v;
            return new Namespace(values);
        }),
        ["range"] = (JinjaFunction)((args, _) =>
        {
            long start = 0, stop, step = 1;
            if (args.Count == 1) stop = (long)args[0]!;
            else { start = (long)args[0]!; stop = (long)args[1]!; if (args.Count > 2) step = (long)args[2]!; }
            var list = new List<object?>();
            for (long i = start; step > 0 ? i < stop : i > stop; i += step) list.Add(i);
            return list;
        }),
        ["dict"] = (JinjaFunction)((_, kwargs) => new Dictionary<string, object?>(kwargs)),
        ["strftime_now"] = (JinjaFunction)((args, _) => Strftime(DateTime.Now, Str(args[0]))),
    };

    /// <summary>Python's strftime for the directives chat templates use (dates in system prompts).</summary>
    private static string Strftime(DateTime t, string format)
    {
        var sb = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        for (int i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 == format.Length) { sb.Append(format[i]); continue; }
            sb.Append(format[++i] switch
            {
                'd' => t.ToString("dd", c), 'm' => t.ToString("MM", c), 'Y' => t.ToString("yyyy", c), 'y' => t.ToString("yy", c),
                'b' => t.ToString("MMM", c), 'B' => t.ToString("MMMM", c), 'a' => t.ToString("ddd", c), 'A' => t.ToString("dddd", c),
                'H' => t.ToString("HH", c), 'M' => t.ToString("mm", c), 'S' => t.ToString("ss", c), 'j' => t.DayOfYear.ToString("000", c),
                '%' => "%",
                var other => "%" + other,
            });
        }
        return sb.ToString();
    }

    /// <summary>Variables of one level: the globals, then one per loop iteration (sets inside a loop stay there).</summary>
    private sealed class Scope(Dictionary<string, object?> values, Scope? parent)
    {
        public Dictionary<string, object?> Values { get; } = values;

        public object? Lookup(string name) =>
            Values.TryGetValue(name, out var v) ? v : parent is not null ? parent.Lookup(name) : new Undefined(name);
    }

    private sealed class LoopSignal(bool isBreak) : Exception
    {
        public bool IsBreak { get; } = isBreak;
    }

    private sealed class Renderer(StringBuilder output)
    {
        public void Run(List<Node> nodes, Scope scope)
        {
            foreach (var node in nodes) Execute(node, scope);
        }

        private void Execute(Node node, Scope scope)
        {
            switch (node)
            {
                case TextNode t: output.Append(t.Text); break;
                case OutputNode o: output.Append(Str(Eval(o.Value, scope))); break;
                case IfNode i:
                {
                    var branch = i.Branches.FirstOrDefault(b => Truthy(Eval(b.Condition, scope)));
                    var body = branch.Body ?? i.Else;
                    if (body is not null) Run(body, scope);
                    break;
                }
                case ForNode f: For(f, scope); break;
                case SetNode s:
                {
                    object? value;
                    if (s.Body is not null)
                    {
                        var sb = new StringBuilder();
                        new Renderer(sb).Run(s.Body, scope);
                        value = sb.ToString();
                    }
                    else value = Eval(s.Value!, scope);
                    if (s.Attribute is null) scope.Values[s.Name] = value;
                    else if (scope.Lookup(s.Name) is Namespace ns) ns.Values[s.Attribute] = value;
                    else throw new TemplateException($"line {s.Line}: '{s.Name}.{s.Attribute}' can be set only on a namespace()");
                    break;
                }
                case LoopControlNode c: throw new LoopSignal(c.IsBreak);
                case BlockNode b: Run(b.Body, scope); break;
            }
        }

        private void For(ForNode f, Scope scope)
        {
            var items = Iterate(Eval(f.Iterable, scope), f.Line);
            if (f.Filter is not null)
                items = items.Where(item => Truthy(Eval(f.Filter, Bind(f, item, scope, null)))).ToList();
            if (items.Count == 0)
            {
                if (f.Else is not null) Run(f.Else, scope);
                return;
            }
            for (int i = 0; i < items.Count; i++)
            {
                var loop = new Dictionary<string, object?>
                {
                    ["index"] = (long)i + 1, ["index0"] = (long)i, ["revindex"] = (long)(items.Count - i), ["revindex0"] = (long)(items.Count - i - 1),
                    ["first"] = i == 0, ["last"] = i == items.Count - 1, ["length"] = (long)items.Count,
                    ["previtem"] = i > 0 ? items[i - 1] : new Undefined("loop.previtem"),
                    ["nextitem"] = i + 1 < items.Count ? items[i + 1] : new Undefined("loop.nextitem"),
                };
                try { Run(f.Body, Bind(f, items[i], scope, loop)); }
                catch (LoopSignal signal)
                {
                    if (signal.IsBreak) break;
                }
            }
        }

        private static Scope Bind(ForNode f, object? item, Scope scope, Dictionary<string, object?>? loop)
        {
            var values = new Dictionary<string, object?>();
            if (loop is not null) values["loop"] = loop;
            if (f.Targets.Length == 1) values[f.Targets[0]] = item;
            else
            {
                var parts = item as List<object?> ?? throw new TemplateException($"line {f.Line}: cannot unpack {TypeName(item)} into {f.Targets.Length} names");
                if (parts.Count != f.Targets.Length) throw new TemplateException($"line {f.Line}: cannot unpack {parts.Count} values into {f.Targets.Length} names");
                for (int i = 0; i < parts.Count; i++) values[f.Targets[i]] = parts[i];
            }
            return new Scope(values, scope);
        }

        private object? Eval(Expr e, Scope scope)
        {
            switch (e)
            {
                case Literal l: return l.Value;
                case NameExpr n: return scope.Lookup(n.Name);
                case ListExpr l: return l.Items.Select(x => Eval(x, scope)).ToList();
                case DictExpr d: return d.Items.ToDictionary(p => Str(Eval(p.Key, scope)), p => Eval(p.Value, scope));
                case AttrExpr a: return Attribute(Eval(a.Target, scope), a.Name, a.Line);
                case ItemExpr i: return Item(Eval(i.Target, scope), Eval(i.Key, scope), i.Line);
                case SliceExpr s: return Slice(Eval(s.Target, scope), s.Start is null ? null : Eval(s.Start, scope), s.Stop is null ? null : Eval(s.Stop, scope),
                    s.Step is null ? null : Eval(s.Step, scope), s.Line);
                case CallExpr c:
                {
                    var target = Eval(c.Target, scope);
                    if (target is not JinjaFunction fn) throw new TemplateException($"line {c.Line}: {TypeName(target)} is not callable");
                    return fn(c.Args.Select(x => Eval(x, scope)).ToList(), c.Kwargs.ToDictionary(p => p.Name, p => Eval(p.Value, scope)));
                }
                case FilterExpr f:
                    return JinjaFilters.Apply(f.Name, Eval(f.Value, scope), f.Args.Select(x => Eval(x, scope)).ToList(),
                        f.Kwargs.ToDictionary(p => p.Name, p => Eval(p.Value, scope)), f.Line);
                case TestExpr t:
                    return JinjaFilters.Test(t.Name, Eval(t.Value, scope), t.Args.Select(x => Eval(x, scope)).ToList(), t.Line) != t.Negated;
                case UnaryExpr u:
                {
                    var v = Eval(u.Operand, scope);
                    return u.Op switch
                    {
                        "not" => !Truthy(v),
                        "-" => Arithmetic("-", 0L, v, u.Line),
                        _ => Arithmetic("+", 0L, v, u.Line),
                    };
                }
                case BinaryExpr b:
                {
                    if (b.Op == "and") { var l = Eval(b.Left, scope); return Truthy(l) ? Eval(b.Right, scope) : l; }
                    if (b.Op == "or") { var l = Eval(b.Left, scope); return Truthy(l) ? l : Eval(b.Right, scope); }
                    var left = Eval(b.Left, scope);
                    var right = Eval(b.Right, scope);
                    return b.Op switch
                    {
                        "==" => PyEquals(left, right),
                        "!=" => !PyEquals(left, right),
                        "<" => Compare(left, right, b.Line) < 0,
                        ">" => Compare(left, right, b.Line) > 0,
                        "<=" => Compare(left, right, b.Line) <= 0,
                        ">=" => Compare(left, right, b.Line) >= 0,
                        "in" => Contains(right, left, b.Line),
                        "not in" => !Contains(right, left, b.Line),
                        "~" => Str(left) + Str(right),
                        _ => Arithmetic(b.Op, left, right, b.Line),
                    };
                }
                case CondExpr c:
                    return Truthy(Eval(c.Condition, scope)) ? Eval(c.Then, scope) : c.Else is null ? new Undefined("conditional") : Eval(c.Else, scope);
                default: throw new TemplateException($"line {e.Line}: unknown expression");
            }
        }

        private static object? Attribute(object? target, string name, int line) => target switch
        {
            Undefined u => throw new TemplateException($"line {line}: '{u.Name}' is undefined (reading .{name})"),
            Dictionary<string, object?> d when name is "items" or "keys" or "values" or "get" => JinjaFilters.DictMethod(d, name),
            Dictionary<string, object?> d => d.TryGetValue(name, out var v) ? v : new Undefined(name),
            Namespace ns => ns.Values.TryGetValue(name, out var v) ? v : new Undefined(name),
            string s => JinjaFilters.StringMethod(s, name, line),
            _ => new Undefined(name),
        };

        private static object? Item(object? target, object? key, int line)
        {
            switch (target)
            {
                case Undefined u: throw new TemplateException($"line {line}: '{u.Name}' is undefined (reading [{Repr(key)}])");
                case Dictionary<string, object?> d: return key is string k && d.TryGetValue(k, out var v) ? v : new Undefined(Str(key));
                case Namespace ns: return key is string n && ns.Values.TryGetValue(n, out var nv) ? nv : new Undefined(Str(key));
                case List<object?> l when key is long i:
                {
                    long at = i < 0 ? l.Count + i : i;
                    return at >= 0 && at < l.Count ? l[(int)at] : new Undefined($"[{i}]");
                }
                case string s when key is long i:
                {
                    long at = i < 0 ? s.Length + i : i;
                    return at >= 0 && at < s.Length ? s[(int)at].ToString() : new Undefined($"[{i}]");
                }
                case string s when key is string name: return StringMethodOrUndefined(s, name, line);
                default: return new Undefined(Str(key));
            }
        }

        private static object? StringMethodOrUndefined(string s, string name, int line)
        {
            try { return JinjaFilters.StringMethod(s, name, line); }
            catch (TemplateException) { return new Undefined(name); }
        }

        private static object? Slice(object? target, object? start, object? stop, object? step, int line)
        {
            long st = step is long k ? k : 1;
            if (st == 0) throw new TemplateException($"line {line}: slice step cannot be zero");
            List<object?> items = target switch
            {
                List<object?> l => l,
                string s => s.Select(c => (object?)c.ToString()).ToList(),
                _ => throw new TemplateException($"line {line}: cannot slice {TypeName(target)}"),
            };
            int n = items.Count;
            long Clamp(object? v, long fallback)
            {
                if (v is not long x) return fallback;
                if (x < 0) x += n;
                return st > 0 ? Math.Clamp(x, 0, n) : Math.Clamp(x, -1, n - 1);
            }
            long from = Clamp(start, st > 0 ? 0 : n - 1), to = Clamp(stop, st > 0 ? n : -1);
            var result = new List<object?>();
            for (long i = from; st > 0 ? i < to : i > to; i += st) result.Add(items[(int)i]);
            return target is string ? string.Concat(result.Select(x => (string)x!)) : result;
        }
    }
}
