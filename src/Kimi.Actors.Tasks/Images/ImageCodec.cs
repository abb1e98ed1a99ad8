using SkiaSharp;

namespace Kimi.Actors.Tasks.Images;

/// <summary>
/// An image decoded and fitted into a <see cref="Size"/> x <see cref="Size"/> square: RGB bytes, row-major, 3 per pixel.
/// A picture that is not square keeps its aspect ratio and fills the top-left <see cref="ContentWidth"/> x
/// <see cref="ContentHeight"/>; the rest is black padding.
/// </summary>
public sealed record RgbImage(int Size, byte[] Rgb, int ContentWidth, int ContentHeight);

/// <summary>PNG and JPEG decoding and resizing through SkiaSharp (Skia's codecs and resamplers, nothing by hand).</summary>
public static class ImageCodec
{
    /// <summary>Larger images are refused before decoding (a small file can claim a huge canvas).</summary>
    public const int MaxSide = 8192;

    /// <summary>The width, height and format of an encoded image, or why it is not a usable PNG or JPEG.</summary>
    public static (int Width, int Height, string Format) Probe(ReadOnlySpan<byte> encoded)
    {
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data) ?? throw new PromptImageException("not a PNG or JPEG image (it does not decode)");
        var format = codec.EncodedFormat;
        if (format is not (SKEncodedImageFormat.Png or SKEncodedImageFormat.Jpeg))
            throw new PromptImageException($"unsupported image format {format} (PNG or JPEG)");
        var info = codec.Info;
        if (info.Width < 1 || info.Height < 1 || info.Width > MaxSide || info.Height > MaxSide)
            throw new PromptImageException($"image of {info.Width}x{info.Height} pixels (at most {MaxSide} per side)");
        return (info.Width, info.Height, format == SKEncodedImageFormat.Png ? "PNG" : "JPEG");
    }

    /// <summary>Decodes every pixel (a truncated or corrupt file fails here, not only its header).</summary>
    /// <exception cref="PromptImageException">Not a PNG or JPEG, too large, truncated or corrupt.</exception>
    public static SKBitmap Decode(ReadOnlySpan<byte> encoded)
    {
        Probe(encoded);
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data)!;
        var info = codec.Info.WithColorType(SKColorType.Rgba8888).WithAlphaType(SKAlphaType.Premul);
        var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result != SKCodecResult.Success)
        {
            bitmap.Dispose();
            throw new PromptImageException($"the image data is truncated or corrupt ({result})");
        }
        return bitmap;
    }

    /// <summary>Decodes <paramref name="encoded"/> and fits it into a square of <paramref name="size"/> pixels.</summary>
    /// <exception cref="PromptImageException">Not a PNG or JPEG, too large, truncated or corrupt.</exception>
    public static RgbImage Fit(ReadOnlySpan<byte> encoded, int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        using var source = Decode(encoded);
        int width = source.Width, height = source.Height;
        double scale = (double)size / Math.Max(width, height);
        int w = Math.Clamp((int)Math.Round(width * scale), 1, size), h = Math.Clamp((int)Math.Round(height * scale), 1, size);
        var info = new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var target = new SKBitmap(info);
        using (var canvas = new SKCanvas(target))
        {
            canvas.Clear(SKColors.Black);
            using var image = SKImage.FromBitmap(source);
            // Mipmaps for shrinking (a photo to 32 pixels), linear filtering otherwise.
            var sampling = new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear);
            canvas.DrawImage(image, new SKRect(0, 0, w, h), sampling);
        }
        // The black background is opaque, so premultiplied bytes are the colours themselves.
        var rgba = target.Bytes;
        var rgb = new byte[size * size * 3];
        for (int p = 0; p < size * size; p++)
        {
            rgb[p * 3] = rgba[p * 4];
            rgb[p * 3 + 1] = rgba[p * 4 + 1];
            rgb[p * 3 + 2] = rgba[p * 4 + 2];
        }
        return new RgbImage(size, rgb, w, h);
    }

    /// <summary>PNG bytes of a drawn bitmap (how built-in families hand over their renders).</summary>
    public static byte[] EncodePng(SKBitmap bitmap)
    {
        using var image = SKImage.FromBitmap(bitmap);
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }
}
