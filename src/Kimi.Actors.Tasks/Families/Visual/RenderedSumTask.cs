using System.Text.Json;
using Kimi.Actors.Tasks.Images;
using SkiaSharp;

namespace Kimi.Actors.Tasks;

/// <summary>
/// "sum-image" (text rendered as an image): the running sums of <see cref="SumTask"/>, with the expression drawn as a
/// picture instead of written. <c>3+5+2+7=</c> is drawn in DejaVu Sans Mono, one character per 8-pixel cell of a
/// 4 x 4 grid, read row by row; the prompt text is only <c>=</c>. The response is the text family's, <c>3,8,10,17#17</c>.
/// It draws the same prompts as the text family for a seed (<see cref="ITaskFamily.SeedName"/>), so image and text
/// accuracy are measured on the same expressions. The expression travels as the extra field <c>expression</c> and in
/// the image reference <c>render:sum-image:&lt;expression&gt;</c>.
/// </summary>
public sealed class RenderedSumTask : ITaskFamily
{
    public const string RendererName = "sum-image";
    public const string ExpressionKey = "expression";
    public const string FontFamily = "DejaVu Sans Mono";
    private static readonly SumTask Text = new();
    private static readonly Lazy<SKTypeface> Font = new(LoadFont);

    public string Name => "sum-image";

    public string SeedName => Text.Name;

    public string Domain => Verifiers.VisualArithmetic;

    public int MinDifficulty => Text.MinDifficulty;

    public int MaxDifficulty => Text.MaxDifficulty;

    public int MaxResponseChars => Text.MaxResponseChars;

    public IVerifier Verifier => NumericAnswerVerifier.Instance;

    public PromptRecord Generate(Random rng, int difficulty, string id)
    {
        var text = Text.Generate(rng, difficulty, id);
        var extra = new Dictionary<string, JsonElement> { [ExpressionKey] = JsonSerializer.SerializeToElement(text.Prompt) };
        return new PromptRecord(id, "=", text.Answer, Domain, difficulty, [Name], extra)
        {
            Images = [ImageRenderers.Reference(RendererName, text.Prompt)],
        };
    }

    public string Demonstrate(PromptRecord prompt, Random rng, bool flawed)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        return Text.Demonstrate(TextForm(prompt) ?? throw new ArgumentException($"not a sum-image prompt (no '{ExpressionKey}' field): '{prompt.Id}'", nameof(prompt)),
            rng, flawed);
    }

    /// <summary>
    /// The text family's canonical form of the drawn expression: a sum-image prompt is the same question as the sum
    /// prompt it draws (and as any reordering of its terms), so sets keep them apart exactly as they keep sums apart.
    /// </summary>
    public string Canonical(PromptRecord prompt) => TextForm(prompt) is { } text ? Text.Canonical(text) : PromptCanonical.Of(prompt);

    /// <summary>The same prompt written as text (the text family's prompt), or null when it is not one of this family's.</summary>
    public PromptRecord? TextForm(PromptRecord prompt) =>
        prompt.Extra is { } extra && extra.TryGetValue(ExpressionKey, out var e) && e.ValueKind == JsonValueKind.String
            ? new PromptRecord(prompt.Id, e.GetString()!, prompt.Answer, Text.Domain, prompt.Difficulty, [Text.Name])
            : null;

    /// <summary>The PNG of an expression: at most 16 characters of <c>0-9 + =</c>, one per cell.</summary>
    public static byte[] Render(string expression)
    {
        if (expression.Length is 0 or > VisualCanvas.Cells || expression.Any(c => !char.IsAsciiDigit(c) && c is not ('+' or '=')))
            throw new ArgumentException($"expected 1..{VisualCanvas.Cells} characters of 0-9, + and =");
        return VisualCanvas.Draw(canvas =>
        {
            canvas.Clear(SKColors.White);
            using var font = new SKFont(Font.Value, 11) { Edging = SKFontEdging.Antialias };
            using var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true };
            for (int i = 0; i < expression.Length; i++)
            {
                var c = VisualCanvas.CellCentre(i);
                // Centred in its cell: the baseline sits below the centre by half the digits' height.
                canvas.DrawText(expression[i].ToString(), c.X, c.Y + 4, SKTextAlign.Center, font, paint);
            }
        });
    }

    private static SKTypeface LoadFont()
    {
        var typeface = SKFontManager.Default.MatchFamily(FontFamily);
        return typeface is not null && typeface.FamilyName == FontFamily ? typeface
            : throw new PromptImageException($"text rendered as images needs the {FontFamily} font (Debian/Ubuntu: apt-get install fonts-dejavu-core)");
    }
}
