package traffic

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
)

// avatarPNG draws browser n's avatar: a 64×64 PNG in its own colour with a
// lighter square in the middle, a real image the EMS decodes and checks.
func avatarPNG(n int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 64, 64))
	c := color.RGBA{uint8(40 + 53*n), uint8(90 + 31*n), uint8(160 + 17*n), 255}
	light := color.RGBA{c.R/2 + 128, c.G/2 + 128, c.B/2 + 128, 255}
	for y := range 64 {
		for x := range 64 {
			if x >= 16 && x < 48 && y >= 16 && y < 48 {
				img.SetRGBA(x, y, light)
			} else {
				img.SetRGBA(x, y, c)
			}
		}
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	return buf.Bytes()
}
