using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.CommandLine;
using Kimi.Actors.CommandLine;
using Kimi.Actors.Model;
using Kimi.Actors.Model.Checkpoints;
using Kimi.Actors.Model.Inspection;
using Kimi.Actors.Model.Tokenization;
using static TorchSharp.torch;

namespace Kimi.Actors.Host.Commands;

/// <summary>
/// <c>kimi model info</c> and <c>kimi model logits</c>: inspect a Hugging Face model folder (Llama, Qwen2, Qwen3) the
/// way parity checks against transformers need.
/// </summary>
public static class ModelCommand
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public sealed record Arguments(string Model, string Device, string Dtype, bool Json);

    public static Command Create()
    {
        Option<string?> Model() => CliOptions.Text("--model", "DIR", "a Hugging Face model folder (config.json, safetensors, tokenizer.json)").Required();
        Option<string> Device() => CliOptions.Device("cpu, cuda, cuda:N or auto", defaultValue: "cpu", allowAuto: true);
        Option<string> Dtype() => CliOptions.Text("--dtype", "float32|bfloat16|auto", "weights dtype (auto: the checkpoint's where the device computes in it)", "auto");
        Option<bool> Json() => new("--json") { Description = "one JSON document on stdout" };

        var (infoModel, infoDevice, infoDtype, infoJson) = (Model(), Device(), Dtype(), Json());
        var info = new Command("info", "architecture, parameters, dtype, vocabulary and special tokens of a model folder")
        {
            infoModel, infoDevice, infoDtype, infoJson,
        };
        info.SetAction(r => Info(new Arguments(r.GetValue(infoModel)!, r.GetValue(infoDevice)!, r.GetValue(infoDtype)!, r.GetValue(infoJson)),
            r.InvocationConfiguration.Output));

        var (model, device, dtype, json) = (Model(), Device(), Dtype(), Json());
        var text = CliOptions.Text("--text", "TEXT", "the text to tokenize and score").Required();
        var plain = new Option<bool>("--no-special-tokens") { Description = "encode without the tokenizer's special tokens" };
        var logits = new Command("logits", "the text's tokens and the logits at its last position (parity checks against transformers)")
        {
            model, text, json, plain, device, dtype,
        };
        logits.SetAction(r => Logits(new Arguments(r.GetValue(model)!, r.GetValue(device)!, r.GetValue(dtype)!, r.GetValue(json)),
            r.GetValue(text)!, r.GetValue(plain), r.InvocationConfiguration.Output));
        return new Command("model", "inspect a Hugging Face model folder (Llama, Qwen2, Qwen3)") { info, logits };
    }

    private static (string Dir, Device Device, string Dtype) Common(Arguments args, string command)
    {
        try { return (args.Model, TorchRuntime.ResolveDevice(args.Device), args.Dtype); }
        catch (ArgumentException e) { throw new UsageException($"model {command}: --device {args.Device}: {e.Message}"); }
    }

    private static (Kimi.Actors.Model.Llama.LlamaForCausalLM, HfTokenizer) Open(string dir, Device device, string dtypeSpec, string command)
    {
        var folder = PretrainedFolder.Open(dir);
        ScalarType dtype;
        try { dtype = TorchRuntime.ResolveDtype(dtypeSpec, device, folder.WeightsDtype); }
        catch (ArgumentException e) { throw new UsageException($"model {command}: --dtype {dtypeSpec}: {e.Message}"); }
        var model = PolicyCheckpoint.Load(dir, device, dtype);
        try { return (model, HfTokenizer.Load(dir, model.Config.VocabSize)); }
        catch { model.Dispose(); throw; }
    }

    private static int Info(Arguments args, TextWriter stdout)
    {
        var (dir, device, dtype) = Common(args, "info");
        bool json = args.Json;
        var (model, tokenizer) = Open(dir, device, dtype, "info");
        using (model)
        using (tokenizer)
        {
            var info = ModelProbe.Describe(model, tokenizer);
            if (json) { stdout.WriteLine(JsonSerializer.Serialize(info, Json)); return 0; }
            var c = CultureInfo.InvariantCulture;
            stdout.WriteLine($"{dir}");
            stdout.WriteLine($"  architecture     {info.Architecture} (model_type {info.ModelType})");
            stdout.WriteLine(string.Create(c, $"  parameters       {info.Parameters:N0}"));
            stdout.WriteLine($"  dtype            {info.Dtype}");
            stdout.WriteLine(string.Create(c, $"  shape            {info.Layers} layers, hidden {info.HiddenSize}, {info.AttentionHeads} heads ({info.KeyValueHeads} key/value) of {info.HeadDim}, embeddings {(info.TiedEmbeddings ? "tied" : "untied")}"));
            stdout.WriteLine(string.Create(c, $"  vocabulary       {info.VocabSize} embedding rows, {info.TokenizerVocabSize} tokens in the tokenizer"));
            stdout.WriteLine($"  special tokens   bos {info.BosToken ?? "(none)"}, eos {info.EosToken}, pad {info.PadToken ?? "(eos)"}; stop ids {string.Join(", ", info.StopTokenIds)}");
            foreach (var (token, id) in info.SpecialTokens.OrderBy(p => p.Value)) stdout.WriteLine(string.Create(c, $"    {id,8}  {token}"));
            stdout.WriteLine($"  chat template    {(info.HasChatTemplate ? "yes" : "no")}");
        }
        return 0;
    }

    private static int Logits(Arguments args, string text, bool plain, TextWriter stdout)
    {
        var (dir, device, dtype) = Common(args, "logits");
        bool json = args.Json;
        var (model, tokenizer) = Open(dir, device, dtype, "logits");
        using (model)
        using (tokenizer)
        {
            int[] tokens = tokenizer.Encode(text, addSpecialTokens: !plain);
            float[] logits;
            try { logits = ModelProbe.LastLogits(model, tokens); }
            catch (ArgumentException e) { throw new UsageException($"model logits: --text: {e.Message}"); }
            if (json)
            {
                stdout.WriteLine(JsonSerializer.Serialize(new { tokens, last_logits = logits }));
                return 0;
            }
            stdout.WriteLine($"tokens ({tokens.Length}): {string.Join(" ", tokens)}");
            var top = logits.Select((v, i) => (v, i)).OrderByDescending(p => p.v).Take(5);
            stdout.WriteLine("top next tokens: " + string.Join(", ", top.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.i} {JsonSerializer.Serialize(tokenizer.Decode([p.i]), Json)} {p.v:F4}"))));
        }
        return 0;
    }
}
