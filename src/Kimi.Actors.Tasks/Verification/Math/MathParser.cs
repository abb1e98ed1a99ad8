using System.Globalization;
using System.Numerics;

namespace Kimi.Actors.Tasks;

/// <summary>
/// Recursive-descent parser for normalized answers (<see cref="MathNormalizer"/>): numbers (thousands separators
/// "1,000", "1\,000", "1{,}000" outside brackets; decimals; "1e-3"), + - * / ^ with standard precedence, implicit
/// multiplication before π, roots, fractions and parentheses, <c>\frac</c>, <c>\sqrt</c>, <c>\sqrt[n]</c>, <c>\pi</c>,
/// <c>\infty</c>, percent, mixed numbers ("1 1/2", "2\frac{1}{2}"), tuples and intervals ("(1, 2]"), sets
/// ("\{1, 2\}"), unions (<c>\cup</c>) and bare lists ("1, 2"). One sign per factor ("--5" is refused).
/// Throws <see cref="FormatException"/> for text that is not such an answer and <see cref="UnsupportedMathException"/>
/// for well-formed values that cannot be compared exactly. Nesting is capped.
/// </summary>
public sealed class MathParser
{
    public const int MaxDepth = 32;
    private const int MaxExponentDigits = 4;

    private enum Kind { Number, Symbol, End }

    private readonly record struct Token(Kind Kind, string Text, Rational Value, bool IntegerLiteral, bool SpaceBefore)
    {
        public bool Is(string symbol) => Kind == Kind.Symbol && Text == symbol;
    }

    private readonly List<Token> tokens;
    private int pos;
    private int depth;

    private MathParser(List<Token> tokens) => this.tokens = tokens;

    public static MathValue Parse(string normalized)
    {
        var parser = new MathParser(Lex(normalized));
        var value = parser.Union();
        if (parser.Peek.Kind != Kind.End) throw new FormatException($"unexpected '{parser.Peek.Text}'");
        return value;
    }

    private Token Peek => tokens[pos];

    private Token Next() => tokens[pos++];

    private void Expect(string symbol)
    {
        if (!Peek.Is(symbol)) throw new FormatException($"expected '{symbol}'");
        pos++;
    }

    private MathValue Union()
    {
        var first = List();
        if (!Peek.Is("\\cup")) return first;
        var parts = new List<MathValue> { first };
        while (Peek.Is("\\cup")) { pos++; parts.Add(List()); }
        if (parts.Any(p => p is not MathValue.Bracketed { Open: '(' or '[' })) throw new FormatException("a union joins intervals");
        return new MathValue.Union(parts);
    }

    private MathValue List()
    {
        var first = Expression();
        if (!Peek.Is(",")) return first;
        var items = new List<MathValue> { first };
        while (Peek.Is(",")) { pos++; items.Add(Expression()); }
        return new MathValue.Bracketed('\0', '\0', items);
    }

    private MathValue Expression()
    {
        Enter();
        var value = Term();
        while (Peek.Is("+") || Peek.Is("-"))
        {
            bool plus = Next().Text == "+";
            var right = Term();
            value = new MathValue.Real(plus ? Real(value) + Real(right) : Real(value) - Real(right));
        }
        depth--;
        return value;
    }

    private MathValue Term()
    {
        var value = Unary();
        while (true)
        {
            if (Peek.Is("*") || Peek.Is("/"))
            {
                bool times = Next().Text == "*";
                var right = Unary();
                value = new MathValue.Real(times ? Real(value) * Real(right) : Divide(Real(value), Real(right)));
            }
            else if (StartsImplicitFactor(Peek))
            {
                value = new MathValue.Real(Real(value) * Real(Power()));
            }
            else return value;
        }
    }

    // "2\pi", "3\sqrt{2}", "2(3+1)", "\frac{1}{2}\pi": juxtaposition multiplies; two numbers side by side do not.
    private static bool StartsImplicitFactor(Token t) =>
        t.Is("\\pi") || t.Is("\\sqrt") || t.Is("\\frac") || t.Is("(") || t.Is("{");

    private MathValue Unary()
    {
        if (Peek.Is("-") || Peek.Is("+"))
        {
            bool minus = Next().Text == "-";
            if (Peek.Is("-") || Peek.Is("+")) throw new FormatException("two signs in a row");
            var value = Power();
            if (!minus) return value;
            return value switch
            {
                MathValue.Infinity inf => new MathValue.Infinity(-inf.Sign),
                _ => new MathValue.Real(-Real(value)),
            };
        }
        return Power();
    }

    private MathValue Power()
    {
        var value = Postfix();
        if (!Peek.Is("^")) return value;
        pos++;
        Enter();
        var exponent = Peek.Is("{") ? Group() : Unary();
        depth--;
        return new MathValue.Real(RaiseTo(Real(value), Real(exponent)));
    }

    private MathValue Postfix()
    {
        var value = Atom();
        if (Peek.Is("%"))
        {
            pos++;
            value = new MathValue.Real(Real(value) / ExactReal.FromRational(new Rational(100, 1)));
        }
        return value;
    }

    private MathValue Atom()
    {
        var t = Next();
        switch (t.Kind)
        {
            case Kind.Number:
                return MixedNumber(t) ?? new MathValue.Real(ExactReal.FromRational(t.Value));
            case Kind.End:
                throw new FormatException("unexpected end");
        }
        switch (t.Text)
        {
            case "\\pi": return new MathValue.Real(ExactReal.Pi);
            case "\\infty": return new MathValue.Infinity(1);
            case "{": pos--; return Group();
            case "(" or "[": return Bracket(t.Text[0]);
            case "\\{": return Set();
            case "\\frac":
            {
                var top = Real(Group());
                var bottom = Real(Group());
                return new MathValue.Real(Divide(top, bottom));
            }
            case "\\sqrt":
            {
                int n = 2;
                if (Peek.Is("["))
                {
                    pos++;
                    var index = Next();
                    if (index.Kind != Kind.Number || !index.IntegerLiteral || index.Value.Numerator > 64) throw new UnsupportedMathException("root of this kind");
                    n = (int)index.Value.Numerator;
                    Expect("]");
                }
                var radicand = Peek.Is("{") ? Group() : Atom();
                return new MathValue.Real(Real(radicand).Root(n));
            }
        }
        throw new FormatException($"unexpected '{t.Text}'");
    }

    /// <summary>"1 1/2" and "2\frac{1}{2}": a whole number followed by a proper fraction of whole numbers.</summary>
    private MathValue? MixedNumber(Token whole)
    {
        if (!whole.IntegerLiteral) return null;
        int start = pos;
        Rational? fraction = null;
        if (Peek.Kind == Kind.Number && Peek.IntegerLiteral && Peek.SpaceBefore && pos + 2 < tokens.Count
            && tokens[pos + 1].Is("/") && tokens[pos + 2].Kind == Kind.Number && tokens[pos + 2].IntegerLiteral)
        {
            var (n, d) = (tokens[pos].Value, tokens[pos + 2].Value);
            pos += 3;
            fraction = d.IsZero ? null : n / d;
        }
        else if (Peek.Is("\\frac") && pos + 6 < tokens.Count && tokens[pos + 1].Is("{") && tokens[pos + 2] is { Kind: Kind.Number, IntegerLiteral: true }
            && tokens[pos + 3].Is("}") && tokens[pos + 4].Is("{") && tokens[pos + 5] is { Kind: Kind.Number, IntegerLiteral: true } && tokens[pos + 6].Is("}"))
        {
            var (n, d) = (tokens[pos + 2].Value, tokens[pos + 5].Value);
            pos += 7;
            fraction = d.IsZero ? null : n / d;
        }
        // Only a proper fraction makes a mixed number; "2 5/4" is two numbers side by side, not an answer.
        if (fraction is not { } f || f >= Rational.One || Peek.Is("^"))
        {
            pos = start;
            return null;
        }
        return new MathValue.Real(ExactReal.FromRational(whole.Value + f));
    }

    private MathValue Group()
    {
        Expect("{");
        var value = Expression();
        Expect("}");
        return value;
    }

    private MathValue Bracket(char open)
    {
        Enter();
        var items = new List<MathValue> { Expression() };
        while (Peek.Is(",")) { pos++; items.Add(Expression()); }
        var close = Next();
        depth--;
        if (!(close.Is(")") || close.Is("]"))) throw new FormatException($"expected ')' or ']'");
        if (items.Count == 1)
        {
            // A single item in matching brackets is grouping; "(5]" is not anything.
            if ((open == '(') != close.Is(")")) throw new FormatException("mismatched brackets");
            return items[0];
        }
        // Infinity is an interval's end, never a tuple's coordinate.
        if (items.Count != 2 && items.Any(i => i is MathValue.Infinity)) throw new FormatException("infinity inside a tuple");
        return new MathValue.Bracketed(open, close.Text[0], items);
    }

    private MathValue Set()
    {
        Enter();
        var items = new List<MathValue> { Expression() };
        while (Peek.Is(",")) { pos++; items.Add(Expression()); }
        Expect("\\}");
        depth--;
        return new MathValue.Bracketed('{', '}', items);
    }

    private void Enter()
    {
        if (++depth > MaxDepth) throw new FormatException("nesting too deep");
    }

    private static ExactReal Real(MathValue value) => value is MathValue.Real r ? r.Value
        : throw new UnsupportedMathException($"arithmetic on {(value is MathValue.Infinity ? "infinity" : "a " + value.Kind)}");

    private static ExactReal Divide(ExactReal a, ExactReal b) =>
        b.IsZero ? throw new FormatException("division by zero") : a / b;

    /// <summary>Integer exponents, and halves through square roots; other exponents are not exact numbers here.</summary>
    private static ExactReal RaiseTo(ExactReal b, ExactReal e)
    {
        if (e.AsRational is not { } q) throw new UnsupportedMathException("irrational exponent");
        if (q.Numerator > 4096 || q.Numerator < -4096) throw new UnsupportedMathException("exponent too large");
        if (b.IsZero && q.Sign < 0) throw new FormatException("division by zero");
        if (q.IsInteger) return b.Pow((int)q.Numerator);
        if (q.Denominator == 2) return b.Sqrt().Pow((int)q.Numerator);
        throw new UnsupportedMathException("fractional exponent");
    }

    private static readonly string[] Commands = ["\\frac", "\\sqrt", "\\pi", "\\infty", "\\cup", "\\{", "\\}"];

    private static List<Token> Lex(string s)
    {
        var list = new List<Token>();
        int i = 0, depth = 0;
        bool space = false;
        while (i < s.Length)
        {
            char c = s[i];
            // "\," is a thin space here; as a thousands separator LexNumber has consumed it already.
            if (char.IsWhiteSpace(c) || s.AsSpan(i).StartsWith("\\,"))
            {
                i += c == '\\' ? 2 : 1;
                space = true;
                continue;
            }
            if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < s.Length && char.IsAsciiDigit(s[i + 1])))
            {
                list.Add(LexNumber(s, ref i, depth, space));
            }
            else if (c == '\\')
            {
                var command = Commands.FirstOrDefault(k => s.AsSpan(i).StartsWith(k) && (k.Length == 2 || i + k.Length >= s.Length || !char.IsAsciiLetter(s[i + k.Length])))
                    ?? throw new FormatException($"unknown command near '{Excerpt(s, i)}'");
                list.Add(new Token(Kind.Symbol, command, default, false, space));
                i += command.Length;
                if (command == "\\{") depth++;
                else if (command == "\\}") depth--;
            }
            else if ("+-*/^(){}[],%".Contains(c))
            {
                if (c is '(' or '[') depth++;
                else if (c is ')' or ']') depth--;
                list.Add(new Token(Kind.Symbol, c.ToString(), default, false, space));
                i++;
            }
            else if (c is 'U' && list.Count > 0 && (list[^1].Is(")") || list[^1].Is("]")))
            {
                list.Add(new Token(Kind.Symbol, "\\cup", default, false, space));
                i++;
            }
            else throw new FormatException($"unexpected '{c}'");
            space = false;
        }
        list.Add(new Token(Kind.End, "end", default, false, space));
        return list;
    }

    private static string Excerpt(string s, int i) => s.Substring(i, Math.Min(12, s.Length - i));

    /// <summary>Exactly three digits, then no further digit: the shape of a thousands group.</summary>
    private static bool GroupFollows(string s, int i) =>
        i + 3 <= s.Length && char.IsAsciiDigit(s[i]) && char.IsAsciiDigit(s[i + 1]) && char.IsAsciiDigit(s[i + 2])
        && (i + 3 == s.Length || !char.IsAsciiDigit(s[i + 3]));

    private static Token LexNumber(string s, ref int i, int depth, bool space)
    {
        int start = i;
        var digits = new System.Text.StringBuilder();
        while (i < s.Length && char.IsAsciiDigit(s[i])) digits.Append(s[i++]);
        // Thousands separators only outside brackets, where a comma cannot be separating items; the first group has 1..3 digits.
        if (depth == 0 && digits.Length is >= 1 and <= 3)
        {
            while (true)
            {
                int sep = s.AsSpan(i).StartsWith(",") ? 1 : s.AsSpan(i).StartsWith("\\,") ? 2 : s.AsSpan(i).StartsWith("{,}") ? 3 : 0;
                if (sep == 0 || !GroupFollows(s, i + sep)) break;
                digits.Append(s, i + sep, 3);
                i += sep + 3;
            }
        }
        bool integer = true;
        var fraction = "";
        if (i < s.Length && s[i] == '.' && (i + 1 >= s.Length || s[i + 1] != '.'))
        {
            integer = false;
            int f = ++i;
            while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
            fraction = s[f..i];
        }
        var value = new Rational(BigInteger.Parse((digits.Length == 0 ? "0" : digits.ToString()) + fraction, CultureInfo.InvariantCulture),
            BigInteger.Pow(10, fraction.Length));
        // "1e-3", "2.5E4": an exponent written straight after the digits.
        if (i + 1 < s.Length && s[i] is 'e' or 'E')
        {
            int j = i + 1;
            bool negative = false;
            if (s[j] is '+' or '-') { negative = s[j] == '-'; j++; }
            int e0 = j;
            while (j < s.Length && char.IsAsciiDigit(s[j])) j++;
            if (j > e0 && (j >= s.Length || !char.IsAsciiLetter(s[j])))
            {
                if (j - e0 > MaxExponentDigits) throw new UnsupportedMathException("exponent too large");
                int exponent = int.Parse(s.AsSpan(e0, j - e0), CultureInfo.InvariantCulture);
                value *= Rational.Pow(new Rational(10, 1), negative ? -exponent : exponent);
                integer = false;
                i = j;
            }
        }
        if (i == start) throw new FormatException("not a number");
        return new Token(Kind.Number, s[start..i], value, integer, space);
    }
}
