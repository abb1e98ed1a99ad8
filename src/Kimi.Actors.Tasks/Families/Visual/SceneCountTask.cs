using System.Text.Json;
using Kimi.Actors.Tasks.Images;
using SkiaSharp;

namespace Kimi.Actors.Tasks;

/// <summary>
/// "scenes" (the real-world kind, composed photographic-style renders): count the balls in a 32 x 32 picture of shaded
/// balls and blocks of random colours on a lit, textured ground with sensor grain. Colour says nothing: only the shape
/// and its shading (a ball has a round highlight, a block a flat gradient) tell them apart. Each object sits in its own
/// cell of a 4 x 4 grid, shifted by up to 2 pixels. Prompt text <c>count balls:</c>; response: the objects in reading
/// order, a ball as the running count and a block as <c>x</c>, then the count: <c>1x2#2</c>. Difficulty 1: 1-2 balls and
/// up to 1 block, light grain; 2: 2-4 balls, 1-2 blocks; 3: 3-5 balls, 2-3 blocks, heavy grain. Scene text (extra field
/// <c>scene</c>, image reference <c>render:scenes:&lt;scene&gt;</c>): <c>&lt;seed&gt;:&lt;grain&gt;:&lt;objects&gt;</c> with
/// objects <c>&lt;b|k&gt;&lt;cell&gt;&lt;dx 0-4&gt;&lt;dy 0-4&gt;&lt;size 3-4&gt;&lt;hue 000-359&gt;</c>. A flawed demonstration
/// skips a ball or counts a block.
/// </summary>
public sealed class SceneCountTask : ITaskFamily
{
    public const string RendererName = "scenes";
    public const string SceneKey = "scene";

    public string Name => "scenes";

    public string Domain => Verifiers.VisualScenes;

    public int MinDifficulty => 1;

    public int MaxDifficulty => 3;

    /// <summary>Eight objects: "1x2x3x4x#4" (10 characters).</summary>
    public int MaxResponseChars => 12;

    public IVerifier Verifier => NumericAnswerVerifier.Instance;

    private sealed record Item(bool Ball, int Cell, int Dx, int Dy, int Size, int Hue);

    public PromptRecord Generate(Random rng, int difficulty, string id)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var (balls, blocks, grain) = difficulty switch
        {
            1 => (rng.Next(1, 3), rng.Next(0, 2), 6),
            2 => (rng.Next(2, 5), rng.Next(1, 3), 12),
            3 => (rng.Next(3, 6), rng.Next(2, 4), 20),
            _ => throw new ArgumentOutOfRangeException(nameof(difficulty), difficulty, $"scenes has difficulties {MinDifficulty}..{MaxDifficulty}"),
        };
        var kinds = Enumerable.Repeat(true, balls).Concat(Enumerable.Repeat(false, blocks)).ToArray();
        rng.Shuffle(kinds);
        var cells = VisualCanvas.DistinctCells(rng, kinds.Length);
        var items = cells.Select((c, i) => new Item(kinds[i], c, rng.Next(5), rng.Next(5), rng.Next(3, 5), rng.Next(360))).ToList();
        string scene = $"{rng.Next(1, 100_000)}:{grain}:{string.Join(',', items.Select(Format))}";
        var extra = new Dictionary<string, JsonElement> { [SceneKey] = JsonSerializer.SerializeToElement(scene) };
        return new PromptRecord(id, "count balls:", balls.ToString(), Domain, difficulty, [Name], extra)
        {
            Images = [ImageRenderers.Reference(RendererName, scene)],
        };
    }

    public string Demonstrate(PromptRecord prompt, Random rng, bool flawed)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var items = Items(prompt) ?? throw new ArgumentException($"not a scenes prompt (no '{SceneKey}' field): '{prompt.Id}'", nameof(prompt));
        return CountingTrace.Render(items.Select(i => (i.Ball, 'x')).ToList(), rng, flawed);
    }

    /// <summary>Which kind sits in which cell; shifts, sizes, colours and grain do not make another prompt.</summary>
    public string Canonical(PromptRecord prompt) =>
        Items(prompt) is { } items ? string.Join(',', items.Select(i => $"{(i.Ball ? 'b' : 'k')}{i.Cell}")) : prompt.Prompt;

    private static List<Item>? Items(PromptRecord prompt)
    {
        if (prompt.Extra is not { } extra || !extra.TryGetValue(SceneKey, out var s) || s.ValueKind != JsonValueKind.String) return null;
        try { return Parse(s.GetString()!).Items; }
        catch (ArgumentException) { return null; }
    }

    private static string Format(Item i) => $"{(i.Ball ? 'b' : 'k')}{VisualCanvas.CellChar(i.Cell)}{i.Dx}{i.Dy}{i.Size}{i.Hue:D3}";

    private static (int Seed, int Grain, List<Item> Items) Parse(string scene)
    {
        var parts = scene.Split(':');
        if (parts.Length != 3 || !int.TryParse(parts[0], out int seed) || !int.TryParse(parts[1], out int grain) || grain is < 0 or > 64)
            throw new ArgumentException("expected <seed>:<grain 0-64>:<objects>");
        var items = new List<Item>();
        foreach (var o in parts[2].Split(','))
        {
            if (o.Length != 8 || o[0] is not ('b' or 'k') || o[2] is < '0' or > '4' || o[3] is < '0' or > '4' || o[4] is < '3' or > '4'
                || !int.TryParse(o.AsSpan(5), out int hue) || hue is < 0 or > 359)
                throw new ArgumentException($"object '{o}': expected <b|k><cell 0-f><dx 0-4><dy 0-4><size 3-4><hue 000-359>");
            items.Add(new Item(o[0] == 'b', VisualCanvas.ParseCell(o[1]), o[2] - '0', o[3] - '0', o[4] - '0', hue));
        }
        if (items.Select(i => i.Cell).Distinct().Count() != items.Count) throw new ArgumentException("two objects in one cell");
        return (seed, grain, items);
    }

    /// <summary>The PNG of a scene (see the class summary for its format).</summary>
    public static byte[] Render(string scene)
    {
        var (seed, grain, items) = Parse(scene);
        var light = new Random(seed);
        // A lit ground: a vertical gradient between two muted colours, and the light from one side.
        var top = SKColor.FromHsv(light.Next(360), light.Next(5, 30), light.Next(55, 85));
        var bottom = SKColor.FromHsv(light.Next(360), light.Next(5, 30), light.Next(25, 55));
        float lx = light.Next(2) == 0 ? -1.5f : 1.5f;
        return VisualCanvas.DrawNoisy(canvas =>
        {
            using (var ground = new SKPaint())
            {
                ground.Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(0, VisualCanvas.Size), [top, bottom], SKShaderTileMode.Clamp);
                canvas.DrawRect(0, 0, VisualCanvas.Size, VisualCanvas.Size, ground);
            }
            using var paint = new SKPaint { IsAntialias = true };
            foreach (var i in items)
            {
                var c = VisualCanvas.CellCentre(i.Cell);
                c = new SKPoint(c.X + i.Dx - 2, c.Y + i.Dy - 2);
                var lit = SKColor.FromHsv(i.Hue, 55, 100);
                var dark = SKColor.FromHsv(i.Hue, 90, 25);
                // A soft shadow under every object, away from the light.
                paint.Shader = null;
                paint.Color = new SKColor(0, 0, 0, 90);
                canvas.DrawOval(c.X - lx * 0.7f, c.Y + i.Size - 0.5f, i.Size, i.Size / 3f, paint);
                if (i.Ball)
                {
                    // A sphere: a radial highlight towards the light, dark at the rim.
                    paint.Shader = SKShader.CreateRadialGradient(new SKPoint(c.X + lx, c.Y - 1.5f), i.Size * 1.4f, [lit, dark], SKShaderTileMode.Clamp);
                    canvas.DrawCircle(c, i.Size, paint);
                }
                else
                {
                    // A block: a flat face lit across, with a darker edge.
                    paint.Shader = SKShader.CreateLinearGradient(new SKPoint(c.X - i.Size, c.Y - i.Size), new SKPoint(c.X + i.Size, c.Y + i.Size),
                        lx < 0 ? [lit, dark] : [dark, lit], SKShaderTileMode.Clamp);
                    canvas.DrawRect(c.X - i.Size, c.Y - i.Size, 2 * i.Size, 2 * i.Size, paint);
                }
            }
        }, seed, grain);
    }
}
