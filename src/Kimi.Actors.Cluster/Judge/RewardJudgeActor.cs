using System.Diagnostics;
using Akka.Actor;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Judging;
using Kimi.Actors.Rl.Rollouts;
using static Kimi.Actors.Cluster.Protocol.JudgeProtocol;

namespace Kimi.Actors.Cluster.Judge;

/// <summary>
/// RewardJudge entity (one per slot, role <c>judge</c>): applies each prompt's verifier to trajectories. The judging
/// operation never throws on hostile output (it scores 0 with a reason), so a batch always gets an answer.
/// </summary>
public sealed class RewardJudgeActor : ReceiveActor
{
    public RewardJudgeActor()
    {
        var tokenizer = CharTokenizer.Instance;
        Receive<JudgeTrajectories>(m =>
        {
            var sw = Stopwatch.StartNew();
            var judged = new JudgedTrajectory[m.Items.Count];
            for (int i = 0; i < judged.Length; i++)
                judged[i] = RewardJudging.Judge(m.Items[i].Trajectory, m.Items[i].Prompt.ToRecord(), tokenizer);
            Sender.Tell(new TrajectoriesJudged(m.RunId, m.RequestId, judged, sw.Elapsed.TotalSeconds));
        });
    }

    public static Props Props() => Akka.Actor.Props.Create(() => new RewardJudgeActor());
}
