using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Kimi.Actors.Cluster.Faults;
using Kimi.Actors.Cluster.Protocol;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Judging;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Tasks;
using static Kimi.Actors.Cluster.Protocol.JudgeProtocol;

namespace Kimi.Actors.Cluster.Judge;

/// <summary>
/// RewardJudge entity (one per slot, role <c>judge</c>): judges each trajectory with its prompt's domain verifier
/// (arithmetic, math and code with this node's <c>kimi.judges</c> settings, search). Judgements run off the actor, at most
/// <see cref="JudgeSettings.Concurrency"/> at once over the whole node (<see cref="JudgeGate"/>), each within
/// <see cref="JudgeSettings.Timeout"/>: one that fails or times out scores 0 with the cause as its reason, and the
/// entity keeps serving. A tokenizer that cannot be loaded scores the batch 0 with that reason too.
/// </summary>
public sealed class RewardJudgeActor : ReceiveActor
{
    private readonly Dictionary<TokenizerSpec, ITokenizer> _tokenizers = [];
    private readonly FaultInjector _faults;

    // Fault rules for judges see the protocol messages they are sent.
    protected override bool AroundReceive(Receive receive, object message) =>
        message is not IKimiMessage || _faults.Admit(message) ? base.AroundReceive(receive, message) : true;

    public RewardJudgeActor(string slot, JudgeSettings settings, JudgeGate gate, IReadOnlyDictionary<string, IVerifier> verifiers)
    {
        _faults = FaultRegistry.Get(Context.System).ForEntity(FaultTargets.RewardJudge, slot, Context.GetLogger());
        Receive<JudgeTrajectories>(m =>
        {
            var sw = Stopwatch.StartNew();
            ITokenizer? tokenizer = null;
            string? problem = null;
            try
            {
                if (!_tokenizers.TryGetValue(m.Tokenizer, out tokenizer)) _tokenizers[m.Tokenizer] = tokenizer = m.Tokenizer.Create();
            }
            catch (ArgumentException e) { problem = "judge has no tokenizer: " + e.Message; }
            var replyTo = Sender;
            var items = m.Items.Select(i => (i.Trajectory, Prompt: i.Prompt.ToRecord())).ToList();
            Task.WhenAll(items.Select(i => tokenizer is null
                    ? Task.FromResult(new JudgedTrajectory(i.Trajectory, 0, false, problem!))
                    : gate.Judge(i.Trajectory, i.Prompt, tokenizer, settings.Timeout, (t, p, k, ct) =>
                        Task.FromResult(RewardJudging.Judge(t, p, k, verifiers.GetValueOrDefault(p.Domain))))))
                .PipeTo(replyTo, success: judged => new TrajectoriesJudged(m.RunId, m.RequestId, judged, sw.Elapsed.TotalSeconds));
        });
    }

    /// <param name="verifiers">The node's verifiers by domain (<see cref="JudgeSettings.CreateVerifiers"/>), shared by its entities.</param>
    public static Props Props(string slot, JudgeSettings settings, JudgeGate gate, IReadOnlyDictionary<string, IVerifier> verifiers) =>
        Akka.Actor.Props.Create(() => new RewardJudgeActor(slot, settings, gate, verifiers));
}

/// <summary>
/// The node's judging capacity: at most N judgements at once over all RewardJudge entities of a node, each
/// bounded by a timeout. Never faults: an exception or a timeout becomes a zero reward with its cause.
/// </summary>
public sealed class JudgeGate(int concurrency)
{
    private readonly SemaphoreSlim slots = new(concurrency, concurrency);

    public int Concurrency { get; } = concurrency;

    /// <summary>Judgements in progress now (for tests and metrics).</summary>
    public int Running => Concurrency - slots.CurrentCount;

    public async Task<JudgedTrajectory> Judge(Trajectory trajectory, PromptRecord prompt, ITokenizer tokenizer, TimeSpan timeout,
        Func<Trajectory, PromptRecord, ITokenizer, CancellationToken, Task<JudgedTrajectory>>? judge = null)
    {
        await slots.WaitAsync().ConfigureAwait(false);
        try
        {
            using var deadline = new CancellationTokenSource(timeout);
            var work = Task.Run(() => (judge ?? Default)(trajectory, prompt, tokenizer, deadline.Token), CancellationToken.None);
            var finished = await Task.WhenAny(work, Task.Delay(timeout, CancellationToken.None)).ConfigureAwait(false);
            if (finished != work)
            {
                // The judgement is abandoned, not awaited: its slot is released so one stuck judge cannot stall the node.
                _ = work.ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
                return new JudgedTrajectory(trajectory, 0, false, $"{VerifyReasons.JudgeTimedOut} after {timeout.TotalSeconds:0.#} s");
            }
            return await work.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            return new JudgedTrajectory(trajectory, 0, false, $"{VerifyReasons.JudgeFailed}: {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            slots.Release();
        }
    }

    private static Task<JudgedTrajectory> Default(Trajectory trajectory, PromptRecord prompt, ITokenizer tokenizer, CancellationToken cancellation) =>
        Task.FromResult(RewardJudging.Judge(trajectory, prompt, tokenizer));
}
