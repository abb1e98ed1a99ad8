namespace Kimi.Actors.Model.Templates;

// The syntax tree: statements render into a StringBuilder, expressions evaluate to Python-like values (see JinjaValues).
internal abstract record Node(int Line);
internal sealed record TextNode(string Text, int Line) : Node(Line);
internal sealed record OutputNode(Expr Value, int Line) : Node(Line);
internal sealed record IfNode(List<(Expr Condition, List<Node> Body)> Branches, List<Node>? Else, int Line) : Node(Line);
internal sealed record ForNode(string[] Targets, Expr Iterable, Expr? Filter, List<Node> Body, List<Node>? Else, int Line) : Node(Line);
internal sealed record SetNode(string Name, string? Attribute, Expr? Value, List<Node>? Body, int Line) : Node(Line);
internal sealed record LoopControlNode(bool IsBreak, int Line) : Node(Line);
internal sealed record BlockNode(List<Node> Body, int Line) : Node(Line);

internal abstract record Expr(int Line);
internal sealed record Literal(object? Value, int Line) : Expr(Line);
internal sealed record NameExpr(string Name, int Line) : Expr(Line);
internal sealed record ListExpr(List<Expr> Items, int Line) : Expr(Line);
internal sealed record DictExpr(List<(Expr Key, Expr Value)> Items, int Line) : Expr(Line);
internal sealed record AttrExpr(Expr Target, string Name, int Line) : Expr(Line);
internal sealed record ItemExpr(Expr Target, Expr Key, int Line) : Expr(Line);
internal sealed record SliceExpr(Expr Target, Expr? Start, Expr? Stop, Expr? Step, int Line) : Expr(Line);
internal sealed record CallExpr(Expr Target, List<Expr> Args, List<(string Name, Expr Value)> Kwargs, int Line) : Expr(Line);
internal sealed record FilterExpr(Expr Value, string Name, List<Expr> Args, List<(string Name, Expr Value)> Kwargs, int Line) : Expr(Line);
internal sealed record TestExpr(Expr Value, string Name, List<Expr> Args, bool Negated, int Line) : Expr(Line);
internal sealed record UnaryExpr(string Op, Expr Operand, int Line) : Expr(Line);
internal sealed record BinaryExpr(string Op, Expr Left, Expr Right, int Line) : Expr(Line);
internal sealed record CondExpr(Expr Condition, Expr Then, Expr? Else, int Line) : Expr(Line);

/// <summary>
/// Parses the Jinja subset that chat templates use: if/elif/else, for (with unpacking, an inline if, else, and
/// loop.*), set (names, namespace attributes, blocks), break/continue, generation blocks; expressions with Jinja's
/// precedence (conditional, or, and, not, comparisons and in, + - ~, * / // %, **, unary, postfix ./[]/()/slices,
/// filters and is-tests binding tightest after postfix).
/// </summary>
internal sealed class JinjaParser
{
    private readonly List<Segment> _segments;
    private int _index;

    private JinjaParser(List<Segment> segments) => _segments = segments;

    public static List<Node> Parse(string source)
    {
        var parser = new JinjaParser(JinjaLexer.Split(source));
        var body = parser.Statements(out var end);
        if (end is not null) throw new TemplateException($"line {end.Value.Line}: unexpected '{end.Value.Tag}'");
        return body;
    }

    /// <summary>Parses until a block tag this level does not own (returned in <paramref name="end"/>) or the end.</summary>
    private List<Node> Statements(out (string Tag, ExprReader Reader, int Line)? end, params string[] stops)
    {
        var nodes = new List<Node>();
        end = null;
        while (_index < _segments.Count)
        {
            var segment = _segments[_index++];
            switch (segment.Kind)
            {
                case SegmentKind.Text: nodes.Add(new TextNode(segment.Content, segment.Line)); break;
                case SegmentKind.Output:
                {
                    var reader = new ExprReader(JinjaLexer.Tokens(segment.Content, segment.Line));
                    nodes.Add(new OutputNode(reader.Expression(), segment.Line));
                    reader.ExpectEnd();
                    break;
                }
                default:
                {
                    var reader = new ExprReader(JinjaLexer.Tokens(segment.Content, segment.Line));
                    var tag = reader.Next();
                    if (tag.Kind != TokenKind.Name) throw new TemplateException($"line {segment.Line}: expected a tag name in '{{% {segment.Content.Trim()} %}}'");
                    if (stops.Contains(tag.Text)) { end = (tag.Text, reader, segment.Line); return nodes; }
                    nodes.Add(Statement(tag.Text, reader, segment.Line));
                    break;
                }
            }
        }
        if (stops.Length > 0) throw new TemplateException($"end of template: missing {string.Join(" or ", stops.Where(s => s.StartsWith("end")).Select(s => $"'{{% {s} %}}'"))}");
        return nodes;
    }

    private Node Statement(string tag, ExprReader reader, int line)
    {
        switch (tag)
        {
            case "if":
            {
                var branches = new List<(Expr, List<Node>)>();
                var condition = reader.Expression();
                reader.ExpectEnd();
                List<Node>? elseBody = null;
                while (true)
                {
                    var body = Statements(out var end, "elif", "else", "endif");
                    branches.Add((condition, body));
                    if (end!.Value.Tag == "elif") { condition = end.Value.Reader.Expression(); end.Value.Reader.ExpectEnd(); continue; }
                    end.Value.Reader.ExpectEnd();
                    if (end.Value.Tag == "else")
                    {
                        elseBody = Statements(out var final, "endif");
                        final!.Value.Reader.ExpectEnd();
                    }
                    return new IfNode(branches, elseBody, line);
                }
            }
            case "for":
            {
                var targets = new List<string> { reader.ExpectName() };
                while (reader.Accept(",")) targets.Add(reader.ExpectName());
                if (!reader.Next().IsName("in")) throw new TemplateException($"line {line}: expected 'in' in a for tag");
                var iterable = reader.Or(allowCondition: false);
                Expr? filter = reader.AcceptName("if") ? reader.Or(allowCondition: false) : null;
                if (reader.AcceptName("recursive")) throw new TemplateException($"line {line}: recursive loops are not supported");
                reader.ExpectEnd();
                var body = Statements(out var end, "else", "endfor");
                end!.Value.Reader.ExpectEnd();
                List<Node>? elseBody = null;
                if (end.Value.Tag == "else")
                {
                    elseBody = Statements(out var final, "endfor");
                    final!.Value.Reader.ExpectEnd();
                }
                return new ForNode([.. targets], iterable, filter, body, elseBody, line);
            }
            case "set":
            {
                string name = reader.ExpectName();
                string? attribute = reader.Accept(".") ? reader.ExpectName() : null;
                if (reader.Accept("="))
                {
                    var value = reader.Expression();
                    reader.ExpectEnd();
                    return new SetNode(name, attribute, value, null, line);
                }
                reader.ExpectEnd();
                var body = Statements(out var end, "endset");
                end!.Value.Reader.ExpectEnd();
                return new SetNode(name, attribute, null, body, line);
            }
            case "break" or "continue":
                reader.ExpectEnd();
                return new LoopControlNode(tag == "break", line);
            case "generation":
            {
                // transformers' marker of assistant text (for masks); it renders its body unchanged.
                reader.ExpectEnd();
                var body = Statements(out var end, "endgeneration");
                end!.Value.Reader.ExpectEnd();
                return new BlockNode(body, line);
            }
            case "elif" or "else" or "endif" or "endfor" or "endset" or "endgeneration":
                throw new TemplateException($"line {line}: unexpected '{tag}'");
            default:
                throw new TemplateException($"line {line}: unsupported tag '{tag}' (supported: if, for, set, break, continue, generation)");
        }
    }
}

/// <summary>Reads one tag's tokens as expressions.</summary>
internal sealed class ExprReader(List<Token> tokens)
{
    private int _pos;

    private Token Peek => tokens[_pos];
    public Token Next() => tokens[_pos++];

    public bool Accept(string op)
    {
        if (!Peek.Is(op)) return false;
        _pos++;
        return true;
    }

    public bool AcceptName(string name)
    {
        if (!Peek.IsName(name)) return false;
        _pos++;
        return true;
    }

    public void Expect(string op)
    {
        if (!Accept(op)) throw Error($"expected '{op}'");
    }

    public string ExpectName()
    {
        var t = Next();
        if (t.Kind != TokenKind.Name) throw new TemplateException($"line {t.Line}: expected a name, found '{t.Text}'");
        return t.Text;
    }

    public void ExpectEnd()
    {
        if (Peek.Kind != TokenKind.End) throw Error("unexpected");
    }

    private TemplateException Error(string what) => new($"line {Peek.Line}: {what} '{(Peek.Kind == TokenKind.End ? "end of tag" : Peek.Text)}'");

    public Expr Expression() => Or(allowCondition: true);

    public Expr Or(bool allowCondition)
    {
        var left = And();
        while (Peek.IsName("or")) { int line = Next().Line; left = new BinaryExpr("or", left, And(), line); }
        if (allowCondition && Peek.IsName("if"))
        {
            int line = Next().Line;
            var condition = Or(allowCondition: false);
            Expr? otherwise = AcceptName("else") ? Or(allowCondition: true) : null;
            return new CondExpr(condition, left, otherwise, line);
        }
        return left;
    }

    private Expr And()
    {
        var left = Not();
        while (Peek.IsName("and")) { int line = Next().Line; left = new BinaryExpr("and", left, Not(), line); }
        return left;
    }

    private Expr Not()
    {
        if (Peek.IsName("not")) { int line = Next().Line; return new UnaryExpr("not", Not(), line); }
        return Compare();
    }

    private static readonly string[] Comparisons = ["==", "!=", "<", ">", "<=", ">="];

    private Expr Compare()
    {
        var left = Sum();
        while (true)
        {
            int line = Peek.Line;
            if (Peek.Kind == TokenKind.Operator && Comparisons.Contains(Peek.Text)) left = new BinaryExpr(Next().Text, left, Sum(), line);
            else if (AcceptName("in")) left = new BinaryExpr("in", left, Sum(), line);
            else if (Peek.IsName("not") && tokens[_pos + 1].IsName("in")) { _pos += 2; left = new BinaryExpr("not in", left, Sum(), line); }
            else return left;
        }
    }

    private Expr Sum()
    {
        var left = Concat();
        while (Peek.Is("+") || Peek.Is("-")) { var op = Next(); left = new BinaryExpr(op.Text, left, Concat(), op.Line); }
        return left;
    }

    private Expr Concat()
    {
        var left = Product();
        while (Peek.Is("~")) { int line = Next().Line; left = new BinaryExpr("~", left, Product(), line); }
        return left;
    }

    private Expr Product()
    {
        var left = Power();
        while (Peek.Is("*") || Peek.Is("/") || Peek.Is("//") || Peek.Is("%")) { var op = Next(); left = new BinaryExpr(op.Text, left, Power(), op.Line); }
        return left;
    }

    private Expr Power()
    {
        var left = Unary();
        while (Peek.Is("**")) { int line = Next().Line; left = new BinaryExpr("**", left, Unary(), line); }
        return left;
    }

    /// <summary>As Jinja: a sign applies to the operand without its filters, and the filters then apply to the signed value.</summary>
    private Expr Unary(bool withFilters = true)
    {
        Expr node;
        if (Peek.Is("-") || Peek.Is("+")) { var op = Next(); node = new UnaryExpr(op.Text, Unary(withFilters: false), op.Line); }
        else node = Primary();
        node = Postfix(node);
        return withFilters ? FiltersAndTests(node) : node;
    }

    private Expr Primary()
    {
        var t = Next();
        switch (t.Kind)
        {
            case TokenKind.String:
            {
                string s = t.Text;
                while (Peek.Kind == TokenKind.String) s += Next().Text; // adjacent literals join, as in Python
                return new Literal(s, t.Line);
            }
            case TokenKind.Integer: return new Literal(long.Parse(t.Text, System.Globalization.CultureInfo.InvariantCulture), t.Line);
            case TokenKind.Float: return new Literal(double.Parse(t.Text, System.Globalization.CultureInfo.InvariantCulture), t.Line);
            case TokenKind.Name:
                return t.Text switch
                {
                    "true" or "True" => new Literal(true, t.Line),
                    "false" or "False" => new Literal(false, t.Line),
                    "none" or "None" => new Literal(null, t.Line),
                    _ => new NameExpr(t.Text, t.Line),
                };
        }
        if (t.Is("("))
        {
            if (Accept(")")) return new ListExpr([], t.Line);
            var first = Expression();
            if (Accept(")")) return first;
            var items = new List<Expr> { first };
            while (Accept(",") && !Peek.Is(")")) items.Add(Expression());
            Expect(")");
            return new ListExpr(items, t.Line);
        }
        if (t.Is("["))
        {
            var items = new List<Expr>();
            while (!Peek.Is("]")) { items.Add(Expression()); if (!Accept(",")) break; }
            Expect("]");
            return new ListExpr(items, t.Line);
        }
        if (t.Is("{"))
        {
            var items = new List<(Expr, Expr)>();
            while (!Peek.Is("}")) { var k = Expression(); Expect(":"); items.Add((k, Expression())); if (!Accept(",")) break; }
            Expect("}");
            return new DictExpr(items, t.Line);
        }
        _pos--;
        throw Error("unexpected");
    }

    private Expr Postfix(Expr e)
    {
        while (true)
        {
            int line = Peek.Line;
            if (Accept("."))
            {
                var t = Next();
                if (t.Kind == TokenKind.Integer) e = new ItemExpr(e, new Literal(long.Parse(t.Text), line), line);
                else if (t.Kind == TokenKind.Name) e = new AttrExpr(e, t.Text, line);
                else throw new TemplateException($"line {line}: expected a name after '.'");
            }
            else if (Accept("["))
            {
                Expr? start = Peek.Is(":") ? null : Expression();
                if (Accept(":"))
                {
                    Expr? stop = Peek.Is(":") || Peek.Is("]") ? null : Expression();
                    Expr? step = Accept(":") && !Peek.Is("]") ? Expression() : null;
                    Expect("]");
                    e = new SliceExpr(e, start, stop, step, line);
                }
                else
                {
                    Expect("]");
                    e = new ItemExpr(e, start!, line);
                }
            }
            else if (Peek.Is("("))
            {
                var (args, kwargs) = Arguments();
                e = new CallExpr(e, args, kwargs, line);
            }
            else return e;
        }
    }

    private (List<Expr>, List<(string, Expr)>) Arguments()
    {
        Expect("(");
        var args = new List<Expr>();
        var kwargs = new List<(string, Expr)>();
        while (!Peek.Is(")"))
        {
            if (Peek.Kind == TokenKind.Name && tokens[_pos + 1].Is("=")) { string name = Next().Text; Next(); kwargs.Add((name, Expression())); }
            else args.Add(Expression());
            if (!Accept(",")) break;
        }
        Expect(")");
        return (args, kwargs);
    }

    private Expr FiltersAndTests(Expr e)
    {
        while (true)
        {
            int line = Peek.Line;
            if (Accept("|"))
            {
                string name = ExpectName();
                var (args, kwargs) = Peek.Is("(") ? Arguments() : ([], []);
                e = Postfix(new FilterExpr(e, name, args, kwargs, line));
            }
            else if (AcceptName("is"))
            {
                bool negated = AcceptName("not");
                string name = ExpectName();
                List<Expr> args = [];
                if (Peek.Is("(")) args = Arguments().Item1;
                else if (Peek.Kind is TokenKind.String or TokenKind.Integer or TokenKind.Float
                         || (Peek.Kind == TokenKind.Name && Peek.Text is not ("else" or "or" or "and" or "if" or "in" or "not")))
                    args = [Postfix(Primary())];
                e = new TestExpr(e, name, args, negated, line);
            }
            else return e;
        }
    }
}
