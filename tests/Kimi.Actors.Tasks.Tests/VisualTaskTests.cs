using Kimi.Actors.Tasks.Images;
using SkiaSharp;

namespace Kimi.Actors.Tasks.Tests;

/// <summary>The built-in visual families draw what their scenes say, and their demonstrations count what is drawn.</summary>
public sealed class VisualTaskTests
{
    private static SKBitmap Decode(PromptRecord record) => ImageCodec.Decode(ImageSources.ReadVerified(record.Images.Single()));

    [Fact]
    public void A_shapes_scene_is_drawn_where_it_says_and_counted_in_reading_order()
    {
        var prompt = new PromptRecord("s", "count red:", "2", Verifiers.VisualCounting, 1, ["shapes"], new Dictionary<string, System.Text.Json.JsonElement>
        {
            ["scene"] = System.Text.Json.JsonSerializer.SerializeToElement("7:0cr7,5sb7,ftr7"),
            ["target"] = System.Text.Json.JsonSerializer.SerializeToElement("r"),
        }) { Images = [ImageRenderers.Reference("shapes", "7:0cr7,5sb7,ftr7")] };
        using var bitmap = Decode(prompt);

        Assert.Equal((32, 32), (bitmap.Width, bitmap.Height));
        // Cell centres: 0 at (4,4) red circle, 5 at (12,12) blue square, 15 at (28,28) red triangle; cell 1 is ground.
        AssertNear(new SKColor(214, 39, 40), bitmap.GetPixel(4, 4));
        AssertNear(new SKColor(31, 90, 220), bitmap.GetPixel(12, 12));
        AssertNear(new SKColor(214, 39, 40), bitmap.GetPixel(28, 29));
        AssertNear(new SKColor(200, 200, 200), bitmap.GetPixel(12, 4));
        var family = new ShapeCountTask();
        Assert.Equal("1b2#2", family.Demonstrate(prompt, new Random(0), flawed: false));
        Assert.True(family.Verifier.Verify(prompt, family.Demonstrate(prompt, new Random(0), flawed: false)).Correct);
    }

    [Fact]
    public void Text_rendered_as_an_image_draws_one_character_per_cell()
    {
        var family = new RenderedSumTask();
        var record = family.Generate(new Random(5), 3, "x");
        var expression = family.TextForm(record)!.Prompt;
        using var bitmap = Decode(record);

        for (int cell = 0; cell < 16; cell++)
        {
            // Ink (dark pixels) exactly in the cells that hold a character.
            int ink = 0;
            for (int y = cell / 4 * 8; y < cell / 4 * 8 + 8; y++)
                for (int x = cell % 4 * 8; x < cell % 4 * 8 + 8; x++) ink += bitmap.GetPixel(x, y).Red < 128 ? 1 : 0;
            Assert.True(cell < expression.Length ? ink >= 3 : ink == 0, $"cell {cell} of '{expression}': {ink} dark pixels");
        }
        // Different characters look different, the same character the same.
        Assert.NotEqual(ImageRenderers.Render("sum-image", "1+2="), ImageRenderers.Render("sum-image", "1+3="));
        Assert.Equal(ImageRenderers.Render("sum-image", "1+2="), ImageRenderers.Render("sum-image", "1+2="));
    }

    [Fact]
    public void Text_rendered_as_an_image_is_the_text_family_on_the_same_prompts()
    {
        var (text, image) = (new SumTask(), new RenderedSumTask());
        var built = PromptSetBuilder.Build([text, image], trainPerLevel: 30, validationPerLevel: 5, testPerLevel: 10, seed: 4);
        foreach (var set in new[] { built.Train, built.Validation, built.Test })
        {
            var texts = set.Where(p => p.Domain == Verifiers.Arithmetic).Select(p => p.Prompt).ToList();
            var images = set.Where(p => p.Domain == Verifiers.VisualArithmetic).Select(p => image.TextForm(p)!.Prompt).ToList();
            Assert.Equal(texts, images);
        }
        var record = built.Test.First(p => p.Domain == Verifiers.VisualArithmetic);
        var rng = new Random(1);
        Assert.Equal(text.Demonstrate(image.TextForm(record)!, new Random(1), true), image.Demonstrate(record, rng, true));
    }

    [Fact]
    public void Balls_and_blocks_differ_by_shape_not_colour()
    {
        // The same hue and place, ball then block: the block fills its square's corner, the ball does not.
        using var ball = ImageCodec.Decode(ImageRenderers.Render("scenes", "3:0:b5224012"));
        using var block = ImageCodec.Decode(ImageRenderers.Render("scenes", "3:0:k5224012"));
        var ground = ball.GetPixel(13, 3);
        Assert.True(Distance(ball.GetPixel(8, 8), ground) < 40, "a ball leaves its bounding square's corner to the ground");
        Assert.True(Distance(block.GetPixel(8, 8), ground) > 40, "a block covers its corner");
        var family = new SceneCountTask();
        var record = family.Generate(new Random(2), 3, "x");
        Assert.Equal(record.Answer, family.Demonstrate(record, new Random(0), false).Split('#')[1]);
    }

    private static double Distance(SKColor a, SKColor b) =>
        Math.Sqrt(Math.Pow(a.Red - b.Red, 2) + Math.Pow(a.Green - b.Green, 2) + Math.Pow(a.Blue - b.Blue, 2));

    private static void AssertNear(SKColor expected, SKColor actual) =>
        Assert.True(Distance(expected, actual) < 40, $"expected about {expected}, got {actual}");
}
