package web

import (
	"bytes"
	"crypto/rand"
	"image"
	"image/color"
	"image/png"
	mrand "math/rand/v2"
)

// The captcha (验证码) is a PNG drawn here with the standard library: digits
// from a 5×7 bitmap font scaled ×4, each with its own colour and jitter,
// crossed by noise lines and speckled with dots. Its answer lives in the
// session, so the login page costs two requests (the page, then
// /captcha.png) — the reason the course's "refresh shows no change" puzzle
// happens, and why per-instance sessions break login behind round robin.

const (
	captchaLen    = 4
	captchaW      = 128
	captchaH      = 44
	captchaScale  = 4
	captchaPitch  = 28 // x distance between digit slots
	captchaLeft   = 10
	captchaTop    = 8
	captchaJitter = 3
)

// font5x7 holds the digits 0–9, one string of 5 bits per row.
var font5x7 = [10][7]string{
	{"01110", "10001", "10011", "10101", "11001", "10001", "01110"},
	{"00100", "01100", "00100", "00100", "00100", "00100", "01110"},
	{"01110", "10001", "00001", "00010", "00100", "01000", "11111"},
	{"11111", "00010", "00100", "00010", "00001", "10001", "01110"},
	{"00010", "00110", "01010", "10010", "11111", "00010", "00010"},
	{"11111", "10000", "11110", "00001", "00001", "10001", "01110"},
	{"00110", "01000", "10000", "11110", "10001", "10001", "01110"},
	{"11111", "00001", "00010", "00100", "01000", "01000", "01000"},
	{"01110", "10001", "10001", "01110", "10001", "10001", "01110"},
	{"01110", "10001", "10001", "01111", "00001", "00010", "01100"},
}

// newCaptchaCode returns captchaLen random digits.
func newCaptchaCode() string {
	var b [captchaLen]byte
	rand.Read(b[:])
	for i := range b {
		b[i] = '0' + b[i]%10
	}
	return string(b[:])
}

// drawCaptcha renders code (digits only) as a PNG. rng places the jitter and
// noise; noise=false draws clean digits (tests read those back).
func drawCaptcha(code string, rng *mrand.Rand, noise bool) []byte {
	img := image.NewRGBA(image.Rect(0, 0, captchaW, captchaH))
	bg := color.RGBA{0xf3, 0xf6, 0xfb, 0xff}
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = bg.R, bg.G, bg.B, bg.A
	}
	inks := []color.RGBA{
		{0x1d, 0x4e, 0xd8, 0xff}, {0x9d, 0x17, 0x4d, 0xff}, {0x06, 0x5f, 0x46, 0xff},
		{0x7c, 0x2d, 0x12, 0xff}, {0x4c, 0x1d, 0x95, 0xff}, {0x1e, 0x29, 0x3b, 0xff},
	}
	if noise {
		for range 5 { // lines behind the digits
			c := inks[rng.IntN(len(inks))]
			c.A = 0xff
			c = lighten(c, 0.55)
			line(img, rng.IntN(captchaW), rng.IntN(captchaH), rng.IntN(captchaW), rng.IntN(captchaH), c)
		}
	}
	for i := 0; i < len(code) && i < 6; i++ {
		d := code[i] - '0'
		if d > 9 {
			continue
		}
		dx, dy := rng.IntN(2*captchaJitter+1)-captchaJitter, rng.IntN(2*captchaJitter+1)-captchaJitter
		ink := inks[rng.IntN(len(inks))]
		x0, y0 := captchaLeft+i*captchaPitch+dx, captchaTop+dy
		for row, bits := range font5x7[d] {
			for col := range 5 {
				if bits[col] != '1' {
					continue
				}
				for yy := range captchaScale {
					for xx := range captchaScale {
						img.SetRGBA(x0+col*captchaScale+xx, y0+row*captchaScale+yy, ink)
					}
				}
			}
		}
	}
	if noise {
		for range 2 { // thin lines across the digits: readable by a person, not by a naive OCR
			line(img, 0, rng.IntN(captchaH), captchaW-1, rng.IntN(captchaH), inks[rng.IntN(len(inks))])
		}
		for range 120 {
			c := inks[rng.IntN(len(inks))]
			img.SetRGBA(rng.IntN(captchaW), rng.IntN(captchaH), lighten(c, 0.3))
		}
	}
	var buf bytes.Buffer
	(&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img)
	return buf.Bytes()
}

func lighten(c color.RGBA, f float64) color.RGBA {
	mix := func(v uint8) uint8 { return uint8(float64(v) + (255-float64(v))*f) }
	return color.RGBA{mix(c.R), mix(c.G), mix(c.B), 0xff}
}

// line draws with Bresenham's algorithm.
func line(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := 1, 1
	if x0 > x1 {
		sx = -1
	}
	if y0 > y1 {
		sy = -1
	}
	e := dx + dy
	for {
		img.SetRGBA(x0, y0, c)
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * e
		if e2 >= dy {
			e += dy
			x0 += sx
		}
		if e2 <= dx {
			e += dx
			y0 += sy
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// captchaRand returns a fresh non-deterministic generator for one image.
func captchaRand() *mrand.Rand {
	var seed [32]byte
	rand.Read(seed[:])
	return mrand.New(mrand.NewChaCha8(seed))
}
