using Kimi.Actors.Model.Generation;
using Kimi.Actors.Rl.Rollouts;

namespace Kimi.Actors.Rl.Training;

/// <summary>How one iteration's responses ended: finished, cut by the budget, stopped as loops or at the maximum length.</summary>
public sealed record RolloutCounts(int Responses, int Resumed, int Cut, int RepeatStops, int MaxLengthStops)
{
    public static readonly RolloutCounts None = new(0, 0, 0, 0, 0);

    public double CutFraction => Responses == 0 ? 0 : Cut / (double)Responses;

    public static RolloutCounts Of(IEnumerable<Trajectory> generated, int resumed)
    {
        int n = 0, cut = 0, repeat = 0, max = 0;
        foreach (var t in generated)
        {
            n++;
            switch (t.StopReason)
            {
                case StopReason.Budget: cut++; break;
                case StopReason.Repeat: repeat++; break;
                case StopReason.MaxLength: max++; break;
            }
        }
        return new RolloutCounts(n, resumed, cut, repeat, max);
    }

    public static RolloutCounts operator +(RolloutCounts a, RolloutCounts b) =>
        new(a.Responses + b.Responses, a.Resumed + b.Resumed, a.Cut + b.Cut, a.RepeatStops + b.RepeatStops, a.MaxLengthStops + b.MaxLengthStops);
}
