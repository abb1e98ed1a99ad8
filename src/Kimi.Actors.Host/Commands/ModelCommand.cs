using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Kimi.Actors.Host.Cli;
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

    public static int Run(string[] args, TextWriter stdout)
    {
        if (args.Length == 0) throw new UsageException("model: expected 'info' or 'logits' (kimi model info --model DIR; kimi model logits --model DIR --text TEXT [--json])");
        var rest = new ArgumentList("model " + args[0], args.Skip(1));
        return args[0] switch
        {
            "info" => Info(rest, stdout),
            "logits" => Logits(rest, stdout),
            _ => throw new UsageException($"model: unknown subcommand '{args[0]}' (info, logits)"),
        };
    }

    private static (string Dir, Device Device, string Dtype) Common(ArgumentList args, string command)
    {
        var dir = args.Value("--model") ?? throw new UsageException($"model {command}: --model DIR is required");
        var deviceSpec = args.Value("--device") ?? "cpu";
        var dtype = args.Value("--dtype") ?? "auto";
        try { return (dir, TorchRuntime.ResolveDevice(deviceSpec), dtype); }
        catch (ArgumentException e) { throw new UsageException($"model {command}: --device {deviceSpec}: {e.Message}"); }
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

    private static int Info(ArgumentList args, TextWriter stdout)
    {
        var (dir, device, dtype) = Common(args, "info");
        bool json = args.Flag("--json");
        args.RejectRest();
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

    private static int Logits(ArgumentList args, TextWriter stdout)
    {
        var (dir, device, dtype) = Common(args, "logits");
        var text = args.Value("--text") ?? throw new UsageException("model logits: --text TEXT is required");
        bool json = args.Flag("--json");
        bool plain = args.Flag("--no-special-tokens");
        args.RejectRest();
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
