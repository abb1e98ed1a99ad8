using System.Text.Json.Nodes;
using Kimi.Actors.Model.Checkpoints;
using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Tests.Checkpoints;
using Kimi.Actors.Model.Vision;
using static TorchSharp.torch;

namespace Kimi.Actors.Model.Tests.Vision;

public sealed class VisionCheckpointTests
{
    [Fact]
    public void A_checkpoint_with_a_vision_encoder_round_trips_exactly()
    {
        using var folder = new CheckpointFolder();
        using var model = TinyModels.CreateWithVision(seed: 21, tied: false);
        PolicyCheckpoint.Save(folder.Path, model);

        using var loaded = PolicyCheckpoint.Load(folder.Path);

        Assert.Equal(model.Config.ToJson(), loaded.Config.ToJson());
        Assert.Equal(model.Config.Vision, loaded.Config.Vision);
        var config = JsonNode.Parse(File.ReadAllText(folder.File("config.json")))!;
        Assert.Equal(16, config["vision_config"]!["image_size"]!.GetValue<int>());
        Assert.Equal(model.Config.Vision!.ImageTokenId, config["vision_config"]!["image_token_id"]!.GetValue<int>());
        var header = SafeTensors.ReadHeader(folder.File("model.safetensors"));
        Assert.Contains(header.Tensors, t => t.Name == "vision_tower.vision_model.embeddings.patch_embedding.weight");
        Assert.Contains(header.Tensors, t => t.Name == "multi_modal_projector.linear_2.weight");
        var expected = model.state_dict();
        var actual = loaded.state_dict();
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, t) in expected)
            Assert.True(t.to_type(ScalarType.Float32).eq(actual[name].to_type(ScalarType.Float32)).all().item<bool>(), name);

        // The same logits for an image prompt.
        using var noGrad = no_grad();
        int[] tokens = [1, .. Enumerable.Repeat(model.Config.Vision.ImageTokenId, 4), 20, 21];
        using var ids = tensor(tokens.Select(t => (long)t).ToArray(), [1, tokens.Length]);
        using var positions = arange(tokens.Length, dtype: ScalarType.Int64).unsqueeze(0);
        using var mask = AttentionMasks.Causal(ones([1, tokens.Length], dtype: ScalarType.Bool));
        using var images = ImageBatch.From([TinyModels.Image(5)], model.Config.Vision, CPU, ScalarType.Float32);
        Assert.True(model.Forward(ids, positions, mask, images: images).eq(loaded.Forward(ids, positions, mask, images: images)).all().item<bool>());
    }

    [Fact]
    public void A_text_checkpoint_loaded_into_a_vision_config_or_a_bad_vision_config_is_refused()
    {
        using var folder = new CheckpointFolder();
        using var text = TinyModels.Create();
        PolicyCheckpoint.Save(folder.Path, text);
        var config = JsonNode.Parse(File.ReadAllText(folder.File("config.json")))!.AsObject();
        config["vision_config"] = JsonNode.Parse(TinyModels.VisionConfig().Vision! with { ImageTokenId = 2 } is var v
            ? System.Text.Json.JsonSerializer.Serialize(v) : "");
        File.WriteAllText(folder.File("config.json"), config.ToJsonString());

        var e = Assert.Throws<CheckpointException>(() => PolicyCheckpoint.Load(folder.Path));
        Assert.Contains("'vision_config.image_token_id': must differ from the pad, bos and eos ids, got 2", e.Message);

        config["vision_config"]!["image_token_id"] = 50;
        File.WriteAllText(folder.File("config.json"), config.ToJsonString());
        e = Assert.Throws<CheckpointException>(() => PolicyCheckpoint.Load(folder.Path));
        Assert.Matches("vision_tower.vision_model.embeddings.(patch|position)_embedding.*: tensor is missing", e.Message);
    }
}
