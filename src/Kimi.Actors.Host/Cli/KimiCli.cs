using Kimi.Actors.Cluster.Workers;
using Kimi.Actors.Host.Commands;
using Kimi.Actors.Host.Configuration;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.Model.Checkpoints;
using Kimi.Actors.Tasks;

namespace Kimi.Actors.Host.Cli;

/// <summary>Entry point: dispatches subcommands and turns user errors into one clear line and a non-zero exit.</summary>
public static class KimiCli
{
    public const string Usage = """
        kimi — reinforcement learning for language-model policies (Kimi k1.5), on Akka.NET and TorchSharp

        usage:
          kimi train [--preset NAME] [--out DIR] [--iterations N] [--seed N] [--device D]
                     [--config FILE]... [--set key=value]...
              warm-up SFT then RL on the built-in tasks; writes DIR/summary.json, metrics.jsonl, checkpoints
              (DIR defaults to runs/RUN_ID; --device cpu|cuda|cuda:N|auto)
          kimi train --resume RUN_ID [--out DIR] [--iterations N] [--config FILE]... [--set key=value]...
              continues a stopped or killed run from its last committed iteration (same database);
              --iterations N runs N more; --set changes hyperparameters (rollout, optimization, eval, ...)
          kimi eval --checkpoint DIR --prompts FILE [--max-response-tokens N] [--device D]
              held-out accuracy of a checkpoint per difficulty on a prompt-set JSONL file
          kimi model info --model DIR [--json] [--device D] [--dtype float32|bfloat16|auto]
              a Hugging Face model folder (Llama, Qwen2, Qwen3): architecture, parameters, dtype, vocabulary, special tokens
          kimi model logits --model DIR --text TEXT [--json] [--no-special-tokens] [--device D] [--dtype D]
              the text's tokens and the logits at its last position ({"tokens": [...], "last_logits": [...]} with --json)
          kimi worker --parent AKKA-PATH --worker-id ID [--incarnation N] [--device D] [--threads N] [--config FILE]
              a GPU worker process, started by a node's supervisor (exits when its parent goes away)
          kimi --help

        configuration: hocon/kimi.conf, then the node files hocon/{workers,akka,persistence,local-node}.conf (embedded)
          < --preset < --config FILE < --set key=value
        """;

    public static int Run(string[] args, TextWriter? stdout = null, TextWriter? stderr = null)
    {
        stdout ??= Console.Out;
        stderr ??= Console.Error;
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            stdout.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        try
        {
            return args[0] switch
            {
                "train" => TrainCommand.Run(new ArgumentList("train", args.Skip(1)), stdout, stderr),
                "eval" => EvalCommand.Run(new ArgumentList("eval", args.Skip(1)), stdout, stderr),
                "model" => ModelCommand.Run(args[1..], stdout),
                "worker" => WorkerProcess.Run(args[1..], stderr),
                _ => throw new UsageException($"unknown command '{args[0]}' (commands: train, eval, model, worker; see kimi --help)"),
            };
        }
        catch (Exception e) when (IsUserError(e))
        {
            stderr.WriteLine($"kimi: error: {e.Message}");
            return 2;
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine("kimi: cancelled");
            return 130;
        }
    }

    /// <summary>Errors caused by input (arguments, configuration, files), reported without a stack trace.</summary>
    private static bool IsUserError(Exception e) =>
        e is UsageException or ConfigException or DatabaseException or ClusterStartException or PromptSetException or CheckpointException
            or Kimi.Actors.Model.Templates.TemplateException
            or UnauthorizedAccessException;
}
