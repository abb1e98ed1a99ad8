using System.Text.Json;
using Kimi.Actors.Tasks.Images;
using SkiaSharp;

namespace Kimi.Actors.Tasks;

/// <summary>
/// "shapes" (synthetic visual reasoning): count the shapes of one colour in a 32 x 32 picture. Circles, squares and
/// triangles in red, green, blue and yellow sit one per cell of a 4 x 4 grid on a grainy grey ground; the prompt text
/// names the colour (<c>count red:</c>). Response: the shapes in reading order, a counted one as the running count and
/// any other as its colour's letter, then the count: <c>1g2b#2</c>. Difficulty 1: 2-3 shapes, 2: 4-5, 3: 6-8. The scene
/// travels as text (extra field <c>scene</c>, and in the image reference <c>render:shapes:&lt;scene&gt;</c>):
/// <c>&lt;noise seed&gt;:&lt;cell&gt;&lt;shape&gt;&lt;colour&gt;&lt;size&gt;,...</c>, e.g. <c>4821:3cr6,7sb5</c> is a red
/// circle of 6 pixels in cell 3 and a blue square of 5 in cell 7. A flawed demonstration skips one shape of the colour
/// or counts one of another colour, and carries the slip to the answer.
/// </summary>
public sealed class ShapeCountTask : ITaskFamily
{
    public const string RendererName = "shapes";
    public const string SceneKey = "scene", TargetKey = "target";
    private const string Colours = "rgby", Shapes = "cst";
    private static readonly string[] ColourNames = ["red", "green", "blue", "yellow"];
    private static readonly SKColor[] Paints =
        [new(214, 39, 40), new(44, 160, 44), new(31, 90, 220), new(235, 200, 30)];

    public string Name => "shapes";

    public string Domain => Verifiers.VisualCounting;

    public int MinDifficulty => 1;

    public int MaxDifficulty => 3;

    /// <summary>Eight shapes: "12345678#8" (10 characters).</summary>
    public int MaxResponseChars => 12;

    public IVerifier Verifier => NumericAnswerVerifier.Instance;

    private sealed record Shape(int Cell, char Kind, char Colour, int Size);

    public PromptRecord Generate(Random rng, int difficulty, string id)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var (min, max) = difficulty switch
        {
            1 => (2, 3),
            2 => (4, 5),
            3 => (6, 8),
            _ => throw new ArgumentOutOfRangeException(nameof(difficulty), difficulty, $"shapes has difficulties {MinDifficulty}..{MaxDifficulty}"),
        };
        var cells = VisualCanvas.DistinctCells(rng, rng.Next(min, max + 1));
        var shapes = cells.Select(c => new Shape(c, Shapes[rng.Next(Shapes.Length)], Colours[rng.Next(Colours.Length)], rng.Next(5, 8))).ToList();
        // The colour of one of the shapes: a count of 0 would be too easy to guess.
        char target = shapes[rng.Next(shapes.Count)].Colour;
        string scene = $"{rng.Next(1, 100_000)}:{string.Join(',', shapes.Select(s => $"{VisualCanvas.CellChar(s.Cell)}{s.Kind}{s.Colour}{s.Size}"))}";
        var extra = new Dictionary<string, JsonElement>
        {
            [SceneKey] = JsonSerializer.SerializeToElement(scene),
            [TargetKey] = JsonSerializer.SerializeToElement(target.ToString()),
        };
        return new PromptRecord(id, $"count {ColourNames[Colours.IndexOf(target)]}:", shapes.Count(s => s.Colour == target).ToString(),
            Domain, difficulty, [Name], extra) { Images = [ImageRenderers.Reference(RendererName, scene)] };
    }

    public string Demonstrate(PromptRecord prompt, Random rng, bool flawed)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        if (!TryScene(prompt, out var shapes, out char target))
            throw new ArgumentException($"not a shapes prompt (no '{SceneKey}' and '{TargetKey}' fields): '{prompt.Id}'", nameof(prompt));
        return CountingTrace.Render(shapes.Select(s => (s.Colour == target, s.Colour)).ToList(), rng, flawed);
    }

    /// <summary>The target colour and the layout (which shapes of which colours where); grain and sizes do not make another prompt.</summary>
    public string Canonical(PromptRecord prompt) =>
        TryScene(prompt, out var shapes, out char target) ? $"{target}|{string.Join(',', shapes.Select(s => $"{s.Cell}{s.Kind}{s.Colour}"))}" : prompt.Prompt;

    private static bool TryScene(PromptRecord prompt, out List<Shape> shapes, out char target)
    {
        shapes = [];
        target = ' ';
        if (prompt.Extra is not { } extra || !extra.TryGetValue(SceneKey, out var s) || s.ValueKind != JsonValueKind.String
            || !extra.TryGetValue(TargetKey, out var t) || t.ValueKind != JsonValueKind.String || t.GetString() is not [char c] || !Colours.Contains(c))
            return false;
        try { shapes = Parse(s.GetString()!).Shapes; }
        catch (ArgumentException) { return false; }
        target = c;
        return true;
    }

    private static (int Seed, List<Shape> Shapes) Parse(string scene)
    {
        var parts = scene.Split(':');
        if (parts.Length != 2 || !int.TryParse(parts[0], out int seed)) throw new ArgumentException("expected <seed>:<shapes>");
        var shapes = new List<Shape>();
        foreach (var item in parts[1].Split(','))
        {
            if (item.Length != 4 || !Shapes.Contains(item[1]) || !Colours.Contains(item[2]) || item[3] is < '3' or > '8')
                throw new ArgumentException($"shape '{item}': expected <cell 0-f><c|s|t><r|g|b|y><size 3-8>");
            shapes.Add(new Shape(VisualCanvas.ParseCell(item[0]), item[1], item[2], item[3] - '0'));
        }
        if (shapes.Select(s => s.Cell).Distinct().Count() != shapes.Count) throw new ArgumentException("two shapes in one cell");
        return (seed, shapes);
    }

    /// <summary>The PNG of a scene (see the class summary for its format).</summary>
    public static byte[] Render(string scene)
    {
        var (seed, shapes) = Parse(scene);
        return VisualCanvas.DrawNoisy(canvas =>
        {
            canvas.Clear(new SKColor(200, 200, 200));
            using var paint = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Fill };
            foreach (var s in shapes)
            {
                paint.Color = Paints[Colours.IndexOf(s.Colour)];
                var c = VisualCanvas.CellCentre(s.Cell);
                float r = s.Size / 2f;
                switch (s.Kind)
                {
                    case 'c': canvas.DrawCircle(c, r, paint); break;
                    case 's': canvas.DrawRect(c.X - r, c.Y - r, s.Size, s.Size, paint); break;
                    default:
                        using (var path = new SKPath())
                        {
                            path.MoveTo(c.X, c.Y - r);
                            path.LineTo(c.X + r, c.Y + r);
                            path.LineTo(c.X - r, c.Y + r);
                            path.Close();
                            canvas.DrawPath(path, paint);
                        }
                        break;
                }
            }
        }, seed, amplitude: 12);
    }
}
