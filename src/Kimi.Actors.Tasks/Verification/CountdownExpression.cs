using System.Numerics;

namespace Kimi.Actors.Tasks;

/// <summary>
/// A small, safe recursive-descent evaluator for countdown answers: non-negative integer literals, binary
/// + - *, parentheses, spaces; standard precedence, left associative. No unary minus, no division.
/// Bounded: the caller caps the text at <see cref="FinalAnswer.MaxChars"/>, nesting is capped at
/// <see cref="MaxDepth"/>, and BigInteger values cannot outgrow the number of digits in the text.
/// </summary>
internal sealed class CountdownExpression
{
    public const int MaxDepth = 32;

    private readonly string text;
    private readonly List<BigInteger> literals = [];
    private int pos;
    private int depth;
    private string? error;

    private CountdownExpression(string text) => this.text = text;

    /// <returns>null on success, otherwise the reason ("unparsable expression", "nesting too deep", "answer too long").</returns>
    public static string? TryEvaluate(string text, out BigInteger value, out IReadOnlyList<BigInteger> literals)
    {
        value = BigInteger.Zero;
        literals = [];
        if (text.Length > FinalAnswer.MaxChars) return VerifyReasons.AnswerTooLong;
        var parser = new CountdownExpression(text);
        var result = parser.Expression();
        parser.SkipSpaces();
        if (parser.error is null && parser.pos != text.Length) parser.error = VerifyReasons.UnparsableExpression;
        if (parser.error is not null) return parser.error;
        value = result;
        literals = parser.literals;
        return null;
    }

    private BigInteger Expression()
    {
        var value = Term();
        while (error is null)
        {
            SkipSpaces();
            if (pos >= text.Length || (text[pos] != '+' && text[pos] != '-')) break;
            char op = text[pos++];
            var right = Term();
            value = op == '+' ? value + right : value - right;
        }
        return value;
    }

    private BigInteger Term()
    {
        var value = Factor();
        while (error is null)
        {
            SkipSpaces();
            if (pos >= text.Length || text[pos] != '*') break;
            pos++;
            value *= Factor();
        }
        return value;
    }

    private BigInteger Factor()
    {
        if (error is not null) return BigInteger.Zero;
        SkipSpaces();
        if (pos >= text.Length) return Fail(VerifyReasons.UnparsableExpression);
        char c = text[pos];
        if (c == '(')
        {
            if (++depth > MaxDepth) return Fail(VerifyReasons.NestingTooDeep);
            pos++;
            var inner = Expression();
            SkipSpaces();
            if (error is not null) return BigInteger.Zero;
            if (pos >= text.Length || text[pos] != ')') return Fail(VerifyReasons.UnparsableExpression);
            pos++;
            depth--;
            return inner;
        }
        if (c >= '0' && c <= '9')
        {
            int start = pos;
            while (pos < text.Length && text[pos] >= '0' && text[pos] <= '9') pos++;
            var literal = BigInteger.Parse(text.AsSpan(start, pos - start));
            literals.Add(literal);
            return literal;
        }
        return Fail(VerifyReasons.UnparsableExpression);
    }

    private BigInteger Fail(string reason)
    {
        error ??= reason;
        return BigInteger.Zero;
    }

    private void SkipSpaces()
    {
        while (pos < text.Length && text[pos] == ' ') pos++;
    }
}
