using Kimi.Actors.Model.Tokenization;

namespace Kimi.Actors.Rl.Judging.ModelJudges;

/// <summary>What a model judge is asked: is <paramref name="Response"/> a correct answer to <paramref name="Question"/>, whose reference answer is <paramref name="Reference"/>?</summary>
public sealed record JudgeQuery(string Question, string Reference, string Response);

/// <summary>
/// A model judge's verdict: always a reason, beginning with the judge's kind; <paramref name="Score"/> is the value
/// head's p(correct). <paramref name="Judged"/> is false where the judge could not judge (output it cannot read, a
/// response too long, a failure): such a verdict is incorrect.
/// </summary>
public sealed record JudgeVerdict(bool Correct, string Reason, double? Score = null, bool Judged = true)
{
    public static JudgeVerdict Fail(ModelJudgeKind kind, string reason, double? score = null) => new(false, $"{kind.Name()}: {reason}", score, Judged: false);
}

/// <summary>The text both model judges read: <c>Q:question\nR:reference\nA:response\nJ:</c>, the chain of thought following after <c>J:</c>.</summary>
public static class JudgePrompt
{
    public static string Render(JudgeQuery query) => $"Q:{query.Question}\nR:{query.Reference}\nA:{query.Response}\nJ:";

    /// <summary>Characters of <see cref="Render"/>, without rendering it.</summary>
    public static long Length(JudgeQuery query) => 11L + (query.Question?.Length ?? 0) + (query.Reference?.Length ?? 0) + (query.Response?.Length ?? 0);

    /// <summary>
    /// The prompt's tokens (with the tokenizer's special tokens); characters the tokenizer cannot encode (hostile or
    /// foreign text in a response) become '?', so any response can be judged.
    /// </summary>
    public static int[] Encode(ITokenizer tokenizer, JudgeQuery query)
    {
        var text = Render(query);
        var chars = text.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
            if (!tokenizer.CanEncode(chars[i])) chars[i] = '?';
        return tokenizer.Encode(new string(chars), addSpecialTokens: true);
    }

    /// <summary>The JSON verdict line a chain-of-thought judge ends with.</summary>
    public static string VerdictJson(bool correct) => correct ? "{\"correct\": true}" : "{\"correct\": false}";
}
