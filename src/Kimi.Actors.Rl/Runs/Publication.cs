using System.Collections.Immutable;
using Kimi.Actors.Rl.Identity;

namespace Kimi.Actors.Rl.Runs;

/// <summary>
/// New weights going out: every available generator loads them (staleness 0: no generation with older weights) and,
/// where asked, the trainer writes them as a durable checkpoint. Done when every load is confirmed and the checkpoint
/// saved. A generator lost meanwhile is no longer waited for.
/// </summary>
public sealed record Publication(WeightsPublished Weights, ImmutableDictionary<RequestId, GeneratorSlot> Loading, RequestId? Saving,
    CheckpointRef? Saved)
{
    public bool Done => Loading.IsEmpty && Saving is null;

    internal static Publication Start(Effects fx, WeightsPublished weights, IEnumerable<GeneratorSlot> generators, bool save)
    {
        var loading = ImmutableDictionary.CreateBuilder<RequestId, GeneratorSlot>();
        foreach (var slot in generators)
        {
            var load = fx.Add(new LoadWeights(fx.NewRequest(), slot, weights));
            loading[load.Request] = slot;
        }
        RequestId? saving = save ? fx.Add(new SaveCheckpoint(fx.NewRequest(), weights.Version)).Request : null;
        return new Publication(weights, loading.ToImmutable(), saving, null);
    }

    /// <summary>This publication after <paramref name="reply"/>; null when the reply is not one of its requests.</summary>
    public Publication? On(IRunReply reply) => reply switch
    {
        PolicyReady r when Loading.ContainsKey(r.Request) => this with { Loading = Loading.Remove(r.Request) },
        CheckpointSaved s when s.Request == Saving => this with { Saving = null, Saved = s.Checkpoint },
        _ => null,
    };

    public Publication Without(GeneratorSlot slot) =>
        this with { Loading = Loading.RemoveRange(Loading.Where(p => p.Value == slot).Select(p => p.Key)) };

    public bool IsWaitingFor(RequestId request) => Loading.ContainsKey(request) || Saving == request;
}
