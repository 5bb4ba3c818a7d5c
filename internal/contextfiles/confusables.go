package contextfiles

import "unicode"

// confusables maps the Cyrillic and Greek letters that look like a Latin
// letter to that letter. It is the subset of Unicode's confusables.txt
// (UTS #39) whose source is a Cyrillic or Greek letter and whose
// prototype is a single ASCII letter, with the case of the source kept
// (confusables.txt folds capital I-like letters to "l"; here Cyrillic І
// and Greek Ι stay "I" so that "ІGNORE" reads "IGNORE"). TestConfusables
// checks every entry's script and case.
var confusables = map[rune]rune{
	// Cyrillic capitals.
	0x0405: 'S', 0x0406: 'I', 0x0408: 'J', 0x0410: 'A', 0x0412: 'B',
	0x0415: 'E', 0x041A: 'K', 0x041C: 'M', 0x041D: 'H', 0x041E: 'O',
	0x0420: 'P', 0x0421: 'C', 0x0422: 'T', 0x0423: 'Y', 0x0425: 'X',
	0x0474: 'V', 0x04AE: 'Y', 0x04BA: 'H', 0x04C0: 'I', 0x051A: 'Q',
	0x051C: 'W',
	// Cyrillic small letters.
	0x0430: 'a', 0x0435: 'e', 0x043E: 'o', 0x0440: 'p', 0x0441: 'c',
	0x0443: 'y', 0x0445: 'x', 0x0455: 's', 0x0456: 'i', 0x0458: 'j',
	0x0475: 'v', 0x04AF: 'y', 0x04BB: 'h', 0x04CF: 'l', 0x0501: 'd',
	0x051B: 'q', 0x051D: 'w',
	// Greek capitals.
	0x037F: 'J', 0x0391: 'A', 0x0392: 'B', 0x0395: 'E', 0x0396: 'Z',
	0x0397: 'H', 0x0399: 'I', 0x039A: 'K', 0x039C: 'M', 0x039D: 'N',
	0x039F: 'O', 0x03A1: 'P', 0x03A4: 'T', 0x03A5: 'Y', 0x03A7: 'X',
	0x03F9: 'C',
	// Greek small letters.
	0x03B1: 'a', 0x03B9: 'i', 0x03BD: 'v', 0x03BF: 'o', 0x03C1: 'p',
	0x03C5: 'u', 0x03F2: 'c', 0x03F3: 'j',
}

// foldWords returns the byte ranges of src's words whose confusable
// letters are read as Latin: a word that mixes Latin letters with
// Cyrillic or Greek look-alikes ("іgnоrе"), or one made only of
// look-alikes ("ореn"). A Russian or Greek word with letters of its own
// ("игнорируй") is left alone, so the Russian phrases still match. Words
// are runs of letters, marks and format characters.
func foldWords(src string) [][2]int {
	var out [][2]int
	start := -1
	latin, conf, other := false, false, false
	flush := func(end int) {
		if start >= 0 && conf && (latin || !other) {
			out = append(out, [2]int{start, end})
		}
		start, latin, conf, other = -1, false, false, false
	}
	for i, r := range src {
		if !isWordRune(r) {
			flush(i)
			continue
		}
		if start < 0 {
			start = i
		}
		switch {
		case r < 0x80:
			latin = latin || r >= 'A'
		case confusables[r] != 0:
			conf = true
		case unicode.Is(unicode.Latin, r):
			latin = true
		case dropped(r), unicode.IsMark(r):
		default:
			other = true
		}
	}
	flush(len(src))
	return out
}

// isWordRune reports the runes foldWords counts as part of a word.
func isWordRune(r rune) bool {
	if r < 0x80 {
		return isWordByte(byte(r))
	}
	return unicode.IsLetter(r) || unicode.IsMark(r) || dropped(r)
}
