using static TorchSharp.torch;

namespace Kimi.Actors.Model.Vision;

/// <summary>
/// One image ready for the encoder: <see cref="Size"/> x <see cref="Size"/> RGB bytes, row-major, 3 bytes per pixel.
/// A picture that was not square fills the top-left <see cref="ContentWidth"/> x <see cref="ContentHeight"/> pixels
/// (resized keeping its aspect ratio); the rest is padding, and patches wholly inside it are masked in the encoder.
/// </summary>
public sealed record ImagePixels(int Size, byte[] Rgb, int ContentWidth, int ContentHeight)
{
    public ImagePixels Validate(int size)
    {
        if (Size != size) throw new ArgumentException($"image of {Size}x{Size} pixels; the encoder takes {size}x{size}");
        if (Rgb.Length != Size * Size * 3) throw new ArgumentException($"image of {Size}x{Size} pixels has {Rgb.Length} bytes, expected {Size * Size * 3}");
        if (ContentWidth < 1 || ContentWidth > Size || ContentHeight < 1 || ContentHeight > Size)
            throw new ArgumentException($"image content {ContentWidth}x{ContentHeight} outside 1..{Size}");
        return this;
    }

    /// <summary>Whether the image is padded (some patch lies wholly outside its content).</summary>
    public bool IsPadded(int patchSize) => Cells(ContentWidth, patchSize) * patchSize < Size || Cells(ContentHeight, patchSize) * patchSize < Size;

    /// <summary>Patches that hold content, row-major: a patch is valid when any of its pixels lies inside the content.</summary>
    public bool[] PatchValid(int patchSize)
    {
        int side = Size / patchSize, cols = Cells(ContentWidth, patchSize), rows = Cells(ContentHeight, patchSize);
        var valid = new bool[side * side];
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++) valid[y * side + x] = y < rows && x < cols;
        return valid;
    }

    private static int Cells(int pixels, int patchSize) => (pixels + patchSize - 1) / patchSize;
}

/// <summary>
/// The images of one forward pass as tensors: pixels [N, 3, S, S] scaled to [-1, 1] and, when any image is padded,
/// the valid patches [N, P]. Images are in the order their placeholders appear in the batch (row by row, left to right).
/// </summary>
public sealed class ImageBatch : IDisposable
{
    public Tensor Pixels { get; }
    public Tensor? PatchValid { get; }
    public int Count { get; }

    private ImageBatch(Tensor pixels, Tensor? patchValid, int count)
    {
        Pixels = pixels;
        PatchValid = patchValid;
        Count = count;
    }

    public static ImageBatch From(IReadOnlyList<ImagePixels> images, VisionConfig config, Device device, ScalarType dtype)
    {
        if (images.Count == 0) throw new ArgumentException("an image batch needs at least one image");
        int s = config.ImageSize, plane = s * s;
        var data = new float[images.Count * 3 * plane];
        bool padded = false;
        for (int i = 0; i < images.Count; i++)
        {
            var img = images[i].Validate(s);
            padded |= img.IsPadded(config.PatchSize);
            // HWC bytes to CHW floats in [-1, 1] (SigLIP's mean 0.5, std 0.5).
            for (int p = 0; p < plane; p++)
                for (int c = 0; c < 3; c++) data[(i * 3 + c) * plane + p] = img.Rgb[p * 3 + c] / 127.5f - 1f;
        }
        var pixels = tensor(data, [images.Count, 3, s, s], device: device).to_type(dtype);
        Tensor? valid = null;
        if (padded)
        {
            var flags = images.SelectMany(i => i.PatchValid(config.PatchSize)).ToArray();
            valid = tensor(flags, [images.Count, config.TokensPerImage], device: device);
        }
        return new ImageBatch(pixels, valid, images.Count);
    }

    public void Dispose()
    {
        Pixels.Dispose();
        PatchValid?.Dispose();
    }
}
