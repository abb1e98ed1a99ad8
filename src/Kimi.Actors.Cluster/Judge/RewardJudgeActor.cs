using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Kimi.Actors.Cluster.Faults;
using Kimi.Actors.Cluster.Protocol;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Judging;
using Kimi.Actors.Rl.Rollouts;
using static Kimi.Actors.Cluster.Protocol.JudgeProtocol;

namespace Kimi.Actors.Cluster.Judge;

/// <summary>
/// RewardJudge entity (one per slot, role <c>judge</c>): applies each prompt's verifier to trajectories. The judging
/// operation never throws on hostile output (it scores 0 with a reason), so a batch always gets an answer; a tokenizer
/// that cannot be loaded scores the batch 0 with that reason too.
/// </summary>
public sealed class RewardJudgeActor : ReceiveActor
{
    private readonly Dictionary<TokenizerSpec, ITokenizer> _tokenizers = [];
    private readonly FaultInjector _faults;

    // Fault rules for judges see the protocol messages they are sent.
    protected override bool AroundReceive(Receive receive, object message) =>
        message is not IKimiMessage || _faults.Admit(message) ? base.AroundReceive(receive, message) : true;

    public RewardJudgeActor(string slot)
    {
        _faults = FaultRegistry.Get(Context.System).ForEntity(FaultTargets.RewardJudge, slot, Context.GetLogger());
        Receive<JudgeTrajectories>(m =>
        {
            var sw = Stopwatch.StartNew();
            var judged = new JudgedTrajectory[m.Items.Count];
            ITokenizer? tokenizer = null;
            string? problem = null;
            try
            {
                if (!_tokenizers.TryGetValue(m.Tokenizer, out tokenizer)) _tokenizers[m.Tokenizer] = tokenizer = m.Tokenizer.Create();
            }
            catch (ArgumentException e) { problem = "judge has no tokenizer: " + e.Message; }
            for (int i = 0; i < judged.Length; i++)
                judged[i] = tokenizer is null
                    ? new JudgedTrajectory(m.Items[i].Trajectory, 0, false, problem!)
                    : RewardJudging.Judge(m.Items[i].Trajectory, m.Items[i].Prompt.ToRecord(), tokenizer);
            Sender.Tell(new TrajectoriesJudged(m.RunId, m.RequestId, judged, sw.Elapsed.TotalSeconds));
        });
    }

    public static Props Props(string slot) => Akka.Actor.Props.Create(() => new RewardJudgeActor(slot));
}
