using System.Globalization;
using System.Text;

namespace Kimi.Actors.Model.Templates;

/// <summary>A template error: the message names the line of the template and what is wrong there.</summary>
public sealed class TemplateException(string message, Exception? inner = null) : Exception(message, inner);

internal enum SegmentKind { Text, Output, Block, Comment }

/// <summary>A piece of template source: literal text, or the inside of a <c>{{ }}</c> / <c>{% %}</c> tag, with its line.</summary>
internal sealed record Segment(SegmentKind Kind, string Content, int Line);

internal enum TokenKind { Name, String, Integer, Float, Operator, End }

internal readonly record struct Token(TokenKind Kind, string Text, int Line)
{
    public bool Is(string op) => Kind == TokenKind.Operator && Text == op;
    public bool IsName(string name) => Kind == TokenKind.Name && Text == name;
}

/// <summary>
/// Splits template source into text and tags with Jinja's whitespace control as transformers configures it for chat
/// templates: <c>trim_blocks</c> (the first newline after a block or comment tag is dropped) and <c>lstrip_blocks</c>
/// (spaces and tabs before a block or comment tag at the start of a line are dropped), plus <c>-</c> on either side of
/// a tag (all whitespace on that side dropped) and <c>+</c> (no lstrip).
/// </summary>
internal static class JinjaLexer
{
    public static List<Segment> Split(string source)
    {
        // Jinja drops one trailing newline of a template (keep_trailing_newline is off).
        if (source.EndsWith('\n')) source = source[..^1];
        var raw = new List<(SegmentKind Kind, string Content, int Line, bool TrimLeft, bool TrimRight, bool KeepLeft, bool KeepRight)>();
        int pos = 0, line = 1;
        while (pos < source.Length)
        {
            int open = IndexOfTag(source, pos);
            if (open < 0) { raw.Add((SegmentKind.Text, source[pos..], line, false, false, false, false)); break; }
            if (open > pos) raw.Add((SegmentKind.Text, source[pos..open], line, false, false, false, false));
            line += Count(source, pos, open);
            char kind = source[open + 1];
            string close = kind switch { '{' => "}}", '%' => "%}", _ => "#}" };
            int start = open + 2;
            bool trimLeft = start < source.Length && source[start] == '-', keepLeft = start < source.Length && source[start] == '+';
            if (trimLeft || keepLeft) start++;
            int end = kind == '#' ? source.IndexOf(close, start, StringComparison.Ordinal) : FindClose(source, start, close);
            if (end < 0) throw new TemplateException($"line {line}: '{source.Substring(open, 2)}' is never closed with '{close}'");
            bool trimRight = end > start && source[end - 1] == '-', keepRight = end > start && source[end - 1] == '+';
            string content = source[start..(trimRight || keepRight ? end - 1 : end)];
            raw.Add((kind switch { '{' => SegmentKind.Output, '%' => SegmentKind.Block, _ => SegmentKind.Comment }, content, line, trimLeft, trimRight, keepLeft, keepRight));
            line += Count(source, open, end + 2);
            pos = end + 2;
        }

        // Whitespace control, in source order, as Jinja's lexer applies it.
        var texts = raw.Select(r => r.Content).ToArray();
        bool lineStarting = true;
        for (int i = 0; i < raw.Count; i++)
        {
            var r = raw[i];
            if (r.Kind == SegmentKind.Text) continue;
            bool block = r.Kind is SegmentKind.Block or SegmentKind.Comment;
            if (i > 0 && raw[i - 1].Kind == SegmentKind.Text)
            {
                string before = texts[i - 1];
                if (r.TrimLeft) texts[i - 1] = before.TrimEnd();
                else if (block && !r.KeepLeft)
                {
                    int lineStart = before.LastIndexOf('\n') + 1;
                    if ((lineStart > 0 || lineStarting) && before.AsSpan(lineStart).Trim(" \t").IsEmpty) texts[i - 1] = before[..lineStart];
                }
            }
            lineStarting = false;
            if (i + 1 < raw.Count && raw[i + 1].Kind == SegmentKind.Text)
            {
                if (r.TrimRight) texts[i + 1] = texts[i + 1].TrimStart();
                else if (block && !r.KeepRight && texts[i + 1].StartsWith('\n'))
                {
                    texts[i + 1] = texts[i + 1][1..];
                    lineStarting = true;
                }
            }
        }
        var result = new List<Segment>();
        for (int i = 0; i < raw.Count; i++)
        {
            if (raw[i].Kind == SegmentKind.Comment || (raw[i].Kind == SegmentKind.Text && texts[i].Length == 0)) continue;
            result.Add(new Segment(raw[i].Kind, texts[i], raw[i].Line));
        }
        return result;
    }

    private static int IndexOfTag(string s, int from)
    {
        for (int i = s.IndexOf('{', from); i >= 0 && i + 1 < s.Length; i = s.IndexOf('{', i + 1))
            if (s[i + 1] is '{' or '%' or '#') return i;
        return -1;
    }

    /// <summary>The closing delimiter of a tag, outside string literals and brackets (a dict literal may end in "}}").</summary>
    private static int FindClose(string s, int from, string close)
    {
        int depth = 0;
        for (int i = from; i < s.Length - 1; i++)
        {
            char c = s[i];
            if (c is '\'' or '"')
            {
                for (i++; i < s.Length && s[i] != c; i++) if (s[i] == '\\') i++;
                continue;
            }
            if (depth == 0 && c == close[0] && s[i + 1] == close[1]) return i;
            if (c is '(' or '[' or '{') depth++;
            else if (c is ')' or ']' or '}' && depth > 0) depth--;
        }
        return -1;
    }

    private static int Count(string s, int from, int to)
    {
        int n = 0;
        for (int i = from; i < to && i < s.Length; i++) if (s[i] == '\n') n++;
        return n;
    }

    private static readonly string[] Operators = ["**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=", "|", ".", ",", ":", "(", ")", "[", "]", "{", "}"];

    public static List<Token> Tokens(string text, int line)
    {
        var tokens = new List<Token>();
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (char.IsWhiteSpace(c)) { if (c == '\n') line++; i++; continue; }
            if (char.IsLetter(c) || c == '_')
            {
                int s = i;
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_')) i++;
                tokens.Add(new Token(TokenKind.Name, text[s..i], line));
            }
            else if (char.IsDigit(c))
            {
                int s = i;
                while (i < text.Length && (char.IsDigit(text[i]) || text[i] == '_')) i++;
                bool isFloat = i + 1 < text.Length && text[i] == '.' && char.IsDigit(text[i + 1]);
                if (isFloat) { i++; while (i < text.Length && char.IsDigit(text[i])) i++; }
                if (i < text.Length && text[i] is 'e' or 'E')
                {
                    int e = i + 1;
                    if (e < text.Length && text[e] is '+' or '-') e++;
                    if (e < text.Length && char.IsDigit(text[e])) { isFloat = true; i = e; while (i < text.Length && char.IsDigit(text[i])) i++; }
                }
                tokens.Add(new Token(isFloat ? TokenKind.Float : TokenKind.Integer, text[s..i].Replace("_", ""), line));
            }
            else if (c is '\'' or '"')
            {
                var sb = new StringBuilder();
                int s = i++;
                while (true)
                {
                    if (i >= text.Length) throw new TemplateException($"line {line}: unterminated string starting {text[s..Math.Min(text.Length, s + 20)]}");
                    char d = text[i++];
                    if (d == c) break;
                    if (d != '\\') { sb.Append(d); continue; }
                    char e = i < text.Length ? text[i++] : '\\';
                    switch (e)
                    {
                        case 'n': sb.Append('\n'); break;
                        case 't': sb.Append('\t'); break;
                        case 'r': sb.Append('\r'); break;
                        case '0': sb.Append('\0'); break;
                        case 'u' when i + 4 <= text.Length:
                            sb.Append((char)int.Parse(text.AsSpan(i, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture)); i += 4; break;
                        case '\\' or '\'' or '"': sb.Append(e); break;
                        default: sb.Append('\\').Append(e); break;
                    }
                }
                tokens.Add(new Token(TokenKind.String, sb.ToString(), line));
            }
            else
            {
                string? op = Operators.FirstOrDefault(o => string.CompareOrdinal(text, i, o, 0, o.Length) == 0);
                if (op is null) throw new TemplateException($"line {line}: unexpected character '{c}'");
                tokens.Add(new Token(TokenKind.Operator, op, line));
                i += op.Length;
            }
        }
        tokens.Add(new Token(TokenKind.End, "", line));
        return tokens;
    }
}
