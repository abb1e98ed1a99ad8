namespace Kimi.Bench.Ablation;

/// <summary>Mean, sample standard deviation (n − 1; 0 for one value) and range of one quantity over seeds.</summary>
public sealed record Spread(int Count, double Mean, double Std, double Min, double Max)
{
    public static Spread Of(IReadOnlyList<double> values)
    {
        if (values.Count == 0) throw new ArgumentException("a spread needs at least one value", nameof(values));
        double mean = values.Average();
        double std = values.Count < 2 ? 0 : Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        return new Spread(values.Count, mean, std, values.Min(), values.Max());
    }
}

/// <summary>What a training run showed besides its accuracy: evidence that its arm's piece really acted.</summary>
/// <param name="Objectives">The objectives the trainer was given, in the order first seen (one per run).</param>
/// <param name="FirstEligibleLevel">The highest difficulty the sampler admitted in the first iteration (the curriculum starts low).</param>
/// <param name="MeanCutFraction">Fraction of responses cut by the token budget, averaged over iterations (partial rollouts).</param>
/// <param name="MeanLengthPenalty">The length reward added per sample, averaged over iterations (0 while it is off or warming up).</param>
/// <param name="TrainResponseTokens">Mean response length of the training rollouts over the run.</param>
public sealed record CellObservation(IReadOnlyList<string> Objectives, int FirstEligibleLevel, double MeanCutFraction, int Resumed,
    double MeanLengthPenalty, double TrainResponseTokens);

/// <summary>One cell's numbers on the test set: after the (shared) warm-up SFT and after RL.</summary>
/// <param name="RunSeconds">The engine's run: both test-set evaluations and the RL iterations.</param>
/// <param name="SftSeconds">Warm-up SFT time when this cell ran it; 0 when it started from a seed's shared SFT policy.</param>
public sealed record CellOutcome(double SftAccuracy, double TestAccuracy, double GreedyAccuracy, double MeanResponseTokens,
    double SftMeanResponseTokens, int TestPrompts, double RunSeconds, double SftSeconds, CellObservation Observed, string? Failure = null)
{
    public bool Failed => Failure is not null;

    public static CellOutcome FailedWith(string reason) => new(0, 0, 0, 0, 0, 0, 0, 0, new CellObservation([], 0, 0, 0, 0, 0), reason);
}

/// <summary>An arm against its study's reference arm, paired by seed (both arms of a seed start from the same SFT policy).</summary>
/// <param name="Delta">arm − reference, per seed.</param>
/// <param name="OutsideSpread">
/// Every seed moved the same way and the mean difference exceeds the larger of the two arms' seed standard deviations.
/// With three seeds this is a weak test; anything else is reported as within the seed spread.
/// </param>
public sealed record ArmComparison(Spread Delta, bool OutsideSpread)
{
    public static ArmComparison? Of(IReadOnlyList<(long Seed, double Value)> arm, IReadOnlyList<(long Seed, double Value)> reference)
    {
        var refBySeed = reference.ToDictionary(r => r.Seed, r => r.Value);
        var deltas = arm.Where(a => refBySeed.ContainsKey(a.Seed)).Select(a => a.Value - refBySeed[a.Seed]).ToList();
        if (deltas.Count == 0) return null;
        var delta = Spread.Of(deltas);
        bool sameSign = deltas.All(d => d > 0) || deltas.All(d => d < 0);
        double noise = Math.Max(Spread.Of(arm.Select(a => a.Value).ToList()).Std, Spread.Of(reference.Select(r => r.Value).ToList()).Std);
        return new ArmComparison(delta, sameSign && Math.Abs(delta.Mean) > noise);
    }
}

/// <summary>One row of the table: an arm's cells over the seeds that finished.</summary>
public sealed record ArmSummary(string Study, AblationArm Arm, int Config, IReadOnlyList<long> Seeds, Spread? Accuracy, Spread? Tokens,
    Spread? SftAccuracy, ArmComparison? VsReference, ArmComparison? TokensVsReference, IReadOnlyList<long> MissingSeeds)
{
    /// <summary>Summaries of every arm of <paramref name="plan"/> from the outcomes so far (failed cells count as missing).</summary>
    public static IReadOnlyList<ArmSummary> Of(AblationPlan plan, IReadOnlyDictionary<(int Config, long Seed), CellOutcome> outcomes)
    {
        List<(long Seed, CellOutcome Outcome)> Done(int config) =>
            plan.Seeds.Where(s => outcomes.TryGetValue((config, s), out var o) && !o.Failed).Select(s => (s, outcomes[(config, s)])).ToList();
        static Spread? SpreadOf(IEnumerable<double> values) => values.ToList() is { Count: > 0 } list ? Spread.Of(list) : null;

        var rows = new List<ArmSummary>();
        foreach (var study in plan.Studies)
        {
            var reference = Done(plan.ConfigOf(new ArmRef(study.Name, study.Reference.Name)).Index);
            foreach (var arm in study.Arms)
            {
                int config = plan.ConfigOf(new ArmRef(study.Name, arm.Name)).Index;
                var done = Done(config);
                bool isReference = arm == study.Reference;
                rows.Add(new ArmSummary(study.Name, arm, config, done.Select(d => d.Seed).ToList(),
                    SpreadOf(done.Select(d => d.Outcome.TestAccuracy)), SpreadOf(done.Select(d => d.Outcome.MeanResponseTokens)),
                    SpreadOf(done.Select(d => d.Outcome.SftAccuracy)),
                    isReference ? null : ArmComparison.Of(done.Select(d => (d.Seed, d.Outcome.TestAccuracy)).ToList(),
                        reference.Select(d => (d.Seed, d.Outcome.TestAccuracy)).ToList()),
                    isReference ? null : ArmComparison.Of(done.Select(d => (d.Seed, d.Outcome.MeanResponseTokens)).ToList(),
                        reference.Select(d => (d.Seed, d.Outcome.MeanResponseTokens)).ToList()),
                    plan.Seeds.Except(done.Select(d => d.Seed)).ToList()));
            }
        }
        return rows;
    }
}
