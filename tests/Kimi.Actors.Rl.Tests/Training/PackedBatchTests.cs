using Kimi.Actors.Rl.Training;

namespace Kimi.Actors.Rl.Tests.Training;

public class PackedBatchTests
{
    [Fact]
    public void Packs_documents_into_rows_and_predicts_only_response_tokens()
    {
        var docs = new List<(int[] Prompt, int[] Response)>
        {
            ([1, 10, 11], [20, 21, 2]),   // 6 tokens
            ([1, 12], [22, 2]),           // 4 tokens
            ([1, 13, 14, 15], [23, 2]),   // 6 tokens
        };
        var batch = PackedBatch.Pack(docs, rowLength: 10, padId: 0);
        Assert.Equal(2, batch.Rows);                       // 6+4 fit one row, the second 6 needs another
        Assert.Equal(3, batch.Documents);
        Assert.Equal(3 + 2 + 2, batch.TargetTokens);       // response tokens only, each predicted once
        // Every target is the next token of the same document, and only at response positions.
        for (int r = 0; r < batch.Rows; r++)
            for (int c = 0; c < batch.Length - 1; c++)
            {
                int i = r * batch.Length + c;
                if (batch.Targets[i] == PackedBatch.IgnoreIndex) continue;
                Assert.Equal(batch.SegmentIds[i], batch.SegmentIds[i + 1]);
                Assert.Equal(batch.Ids[i + 1], batch.Targets[i]);
            }
        // Padding has segment 0 and no target.
        int padded = batch.SegmentIds.Count(s => s == 0);
        Assert.Equal(2 * 10 - 16, padded);
    }

    [Fact]
    public void A_document_longer_than_a_row_is_an_error()
    {
        var e = Assert.Throws<ArgumentException>(() => PackedBatch.Pack([([1, 2, 3], [4, 5, 6])], rowLength: 5, padId: 0));
        Assert.Contains("6 tokens", e.Message);
    }
}
