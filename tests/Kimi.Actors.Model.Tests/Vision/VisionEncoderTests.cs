using Kimi.Actors.Model.Generation;
using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Scoring;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Model.Vision;
using static TorchSharp.torch;

namespace Kimi.Actors.Model.Tests.Vision;

/// <summary>The image encoder and its splice into the token stream: shapes, masks, positions, the cache, scoring.</summary>
public sealed class VisionEncoderTests
{
    private static readonly CharTokenizer Tok = CharTokenizer.Instance;
    private static readonly int ImageToken = Tok.VocabSize;

    /// <summary>bos, then one image's 4 placeholders per image, then the text.</summary>
    private static int[] ImagePrompt(string text, int images = 1) =>
        [Tok.BosId, .. Enumerable.Repeat(ImageToken, 4 * images), .. Tok.Encode(text)];

    private static float[] Flat(Tensor t) => t.to_type(ScalarType.Float32).cpu().data<float>().ToArray();

    [Fact]
    public void The_encoder_gives_one_embedding_of_the_decoder_width_per_patch_and_images_do_not_see_each_other()
    {
        using var model = TinyModels.CreateWithVision(seed: 3);
        using var noGrad = no_grad();
        var device = CPU;
        using var pair = ImageBatch.From([TinyModels.Image(1), TinyModels.Image(2)], model.Config.Vision!, device, ScalarType.Float32);
        using var other = ImageBatch.From([TinyModels.Image(1), TinyModels.Image(9)], model.Config.Vision!, device, ScalarType.Float32);

        using var features = model.EncodeImages(pair);
        using var changed = model.EncodeImages(other);

        Assert.Equal([2L, 4, 32], features.shape);
        Assert.Null(pair.PatchValid);
        // Image 0 is the same in both batches; its features do not depend on its neighbour.
        Assert.Equal(Flat(features[0]), Flat(changed[0]));
        Assert.NotEqual(Flat(features[1]), Flat(changed[1]));
    }

    [Fact]
    public void Padding_patches_of_a_wide_image_are_masked_out_of_the_content_patches()
    {
        using var model = TinyModels.CreateWithVision(seed: 3);
        using var noGrad = no_grad();
        var config = model.Config.Vision!;
        // Content in the top half (16 x 8): the two bottom patches (2, 3) are padding.
        var image = TinyModels.Image(4) with { ContentHeight = 8 };
        var rgb = (byte[])image.Rgb.Clone();
        for (int i = 16 * 8 * 3; i < rgb.Length; i++) rgb[i] = (byte)(255 - rgb[i]);
        var repainted = image with { Rgb = rgb };
        Assert.Equal([true, true, false, false], image.PatchValid(8));

        float[] Content(ImagePixels px, bool mask)
        {
            using var batch = ImageBatch.From([px], config, CPU, ScalarType.Float32);
            Assert.NotNull(batch.PatchValid);
            using var f = model.EncodeImages(batch);
            return Flat(f[0].narrow(0, 0, 2));
        }

        // Repainting the padding leaves the content patches' features exactly as they were...
        Assert.Equal(Content(image, true), Content(repainted, true));
        // ...which is the mask's doing: the same pixels read as content (no padding) change them.
        float[] Unmasked(ImagePixels px)
        {
            using var batch = ImageBatch.From([px with { ContentHeight = 16 }], config, CPU, ScalarType.Float32);
            Assert.Null(batch.PatchValid);
            using var f = model.EncodeImages(batch);
            return Flat(f[0].narrow(0, 0, 2));
        }
        Assert.NotEqual(Unmasked(image), Unmasked(repainted));
    }

    [Fact]
    public void Image_patches_replace_their_placeholders_and_only_tokens_after_them_see_the_image()
    {
        using var model = TinyModels.CreateWithVision(seed: 5);
        using var noGrad = no_grad();
        // "1+" before the image, "=" after it: the image sits at positions 3..6.
        int[] tokens = [Tok.BosId, .. Tok.Encode("1+"), .. Enumerable.Repeat(ImageToken, 4), .. Tok.Encode("=")];
        float[] Logits(ImagePixels image)
        {
            using var batch = ImageBatch.From([image], model.Config.Vision!, CPU, ScalarType.Float32);
            using var ids = tensor(tokens.Select(t => (long)t).ToArray(), [1, tokens.Length]);
            using var logits = model.Forward(ids, arange(tokens.Length, dtype: ScalarType.Int64).unsqueeze(0),
                AttentionMasks.Causal(ones([1, tokens.Length], dtype: ScalarType.Bool)), images: batch);
            return Flat(logits[0]);
        }
        var a = Logits(TinyModels.Image(1));
        var b = Logits(TinyModels.Image(2));
        int vocab = model.Config.VocabSize;
        // Causal: the three text positions before the image cannot see it; every position from its first patch on does.
        Assert.Equal(a[..(3 * vocab)], b[..(3 * vocab)]);
        for (int position = 3; position < tokens.Length; position++)
            Assert.NotEqual(a[(position * vocab)..((position + 1) * vocab)], b[(position * vocab)..((position + 1) * vocab)]);
        // The placeholder is never predicted.
        Assert.All(Enumerable.Range(0, tokens.Length), p => Assert.Equal(float.NegativeInfinity, a[p * vocab + ImageToken]));
    }

    [Fact]
    public void Kv_cache_generation_with_images_equals_full_recomputation()
    {
        using var model = TinyModels.CreateWithVision(seed: 11);
        // Different text lengths (left padding) and one prompt with two images, so rows and positions differ.
        var requests = new[]
        {
            new GenerationRequest(ImagePrompt("count red:"), Images: [TinyModels.Image(1)]),
            new GenerationRequest(ImagePrompt("="), Images: [TinyModels.Image(2)]),
            new GenerationRequest(ImagePrompt("two:", images: 2), Images: [TinyModels.Image(3), TinyModels.Image(4)]),
            new GenerationRequest([Tok.BosId, .. Tok.Encode("3+4=")]),
        };
        var batch = BatchGenerator.Generate(model, requests, new GenerationOptions { Temperature = 1, MaxResponseTokens = 12, Seed = 4 });

        // Full recomputation, one sequence at a time, through the scorer: the same log-probability for every token.
        using var noGrad = no_grad();
        for (int r = 0; r < requests.Length; r++)
        {
            var res = batch.Results[r];
            Assert.True(res.Tokens.Length > 0);
            Assert.DoesNotContain(ImageToken, res.Tokens);
            using var scored = SequenceScorer.Score(model, [(requests[r].Prompt, res.Tokens)], [requests[r].Images]);
            var lp = Flat(scored.LogProbs[0]);
            for (int k = 0; k < res.Tokens.Length; k++) Assert.Equal(res.LogProbs[k], lp[k], 4);
        }
        // And the same response as the prompt generated alone (padding and neighbours change nothing).
        var alone = BatchGenerator.Generate(model, [requests[2]], new GenerationOptions { Temperature = 0, MaxResponseTokens = 12 });
        var together = BatchGenerator.Generate(model, requests, new GenerationOptions { Temperature = 0, MaxResponseTokens = 12 });
        Assert.Equal(alone.Results[0].Tokens, together.Results[2].Tokens);
    }

    [Fact]
    public void Placeholders_and_images_must_agree()
    {
        using var model = TinyModels.CreateWithVision();
        using var text = TinyModels.Create();
        var options = new GenerationOptions { MaxResponseTokens = 4 };
        var e = Assert.Throws<ArgumentException>(() => BatchGenerator.Generate(model, [new GenerationRequest(ImagePrompt("="))], options));
        Assert.Equal($"request 0: 4 image placeholder tokens (id {ImageToken}) for 0 image(s) of 4 patches: expected 0", e.Message);
        e = Assert.Throws<ArgumentException>(() => BatchGenerator.Generate(model,
            [new GenerationRequest(ImagePrompt("="), Images: [TinyModels.Image(1), TinyModels.Image(2)])], options));
        Assert.Contains("expected 8", e.Message);
        e = Assert.Throws<ArgumentException>(() => BatchGenerator.Generate(text,
            [new GenerationRequest([Tok.BosId, 5], Images: [TinyModels.Image(1)])], options));
        Assert.Contains("without a vision encoder", e.Message);
        e = Assert.Throws<ArgumentException>(() => SequenceScorer.Score(model, [(ImagePrompt("="), [5])], [[TinyModels.Image(1, size: 32)]]));
        Assert.Contains("the encoder takes 16x16", e.Message);
    }
}
