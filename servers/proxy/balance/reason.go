package balance

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"webflow-lab/servers/explain"
)

// A Reason says how one Get chose its peer, step by step, so the trace can
// show "ip_hash 127.0.0 → hash 4040 → peer 3 of 3" and a Chinese screen can
// render the same steps in Chinese. Peers are numbered from 1 in the order
// of the server lines (backups separately), as a learner counts them.
type Reason struct {
	Steps  []Step
	Peer   int  // the chosen peer, 1-based; 0 when none was found
	Backup bool // the chosen peer is a backup
}

// StepKind names one step of a pick.
type StepKind uint8

const (
	StepSingle   StepKind = iota + 1 // one peer, no backup: no algorithm, max_fails not applied
	StepSkip                         // Peer was passed over: Cause says why
	StepWeights                      // smooth weighted round robin: Peers/Values are current weights after adding; Peer wins
	StepIPKey                        // ip_hash key bytes (Key: "127.0.0")
	StepHashKey                      // the hash key (Key)
	StepHash                         // Value = hash, candidate Peer of Of; Cause set if it was skipped
	StepPoint                        // consistent hash: Value = crc32 of the key, Of = point index, Key = server name
	StepLeast                        // least_conn: Peers/Values are active connections, Weights theirs; Peer wins
	StepTie                          // least_conn tie: Peers tied; Values are current weights after adding; Peer wins
	StepDraw                         // random: Value = x, Of = total weight; candidate Peer; Cause set if skipped
	StepTwo                          // random two: Peers are the two draws, Values their conns; Peer wins
	StepFallback                     // the method gives up: Value tries (0: Key says why) → round robin
	StepBackup                       // no primary available: the backups are tried with a fresh tried bitmap
	StepNoLive                       // nothing available: "no live upstreams"
)

// Step is one step of a pick. Which fields are set depends on Kind.
type Step struct {
	Kind    StepKind
	Peer    int // 1-based
	Of      int
	Value   int64
	Key     string
	Peers   []int // 1-based
	Values  []int
	Weights []int
	Backup  bool // the peers named are backups
	Again   bool // StepPoint: a further point of the same search (the crc32 is not repeated)

	// For a skipped peer.
	Cause    Cause
	Fails    int
	MaxFails int
	RetryIn  time.Duration
	Conns    int
	MaxConns int
}

// String returns the reason in English.
func (r Reason) String() string { return r.render(false) }

// Chinese returns the reason in Simplified Chinese.
func (r Reason) Chinese() string { return r.render(true) }

// Text returns both languages.
func (r Reason) Text() explain.Text { return explain.T(r.String(), r.Chinese()) }

func (r Reason) render(zh bool) string {
	var b strings.Builder
	for i, s := range r.Steps {
		if i > 0 {
			switch s.Kind {
			case StepHash, StepPoint:
				b.WriteString(" → ")
			default:
				if zh {
					b.WriteString("；")
				} else {
					b.WriteString("; ")
				}
			}
		}
		s.render(&b, zh)
	}
	return b.String()
}

func peerName(n int, backup, zh bool) string {
	var b strings.Builder
	writePeer(&b, n, backup, zh)
	return b.String()
}

func writePeer(b *strings.Builder, n int, backup, zh bool) {
	switch {
	case backup && zh:
		b.WriteString("备用节点 ")
	case backup:
		b.WriteString("backup ")
	case zh:
		b.WriteString("节点 ")
	default:
		b.WriteString("peer ")
	}
	writeInt(b, n)
}

func writeInt(b *strings.Builder, n int) {
	var buf [20]byte
	b.Write(strconv.AppendInt(buf[:0], int64(n), 10))
}

func joinInts(v []int) string {
	var b strings.Builder
	writeInts(&b, v)
	return b.String()
}

func writeInts(b *strings.Builder, v []int) {
	for i, x := range v {
		if i > 0 {
			b.WriteByte(',')
		}
		writeInt(b, x)
	}
}

func (s Step) causeText(zh bool) string {
	switch s.Cause {
	case CauseTried:
		if zh {
			return "本请求已试过"
		}
		return "already tried"
	case CauseDown:
		if zh {
			return "已标记 down"
		}
		return "down"
	case CauseFailed:
		if zh {
			return fmt.Sprintf("失败 %d/%d，%s 后重试", s.Fails, s.MaxFails, s.RetryIn)
		}
		return fmt.Sprintf("failed %d/%d, retry after %s", s.Fails, s.MaxFails, s.RetryIn)
	case CauseFull:
		if zh {
			return fmt.Sprintf("连接数 %d 已达 max_conns=%d", s.Conns, s.MaxConns)
		}
		return fmt.Sprintf("max_conns reached (%d/%d)", s.Conns, s.MaxConns)
	case CauseSameDraw:
		if zh {
			return "与第一次抽到的相同"
		}
		return "same as the first draw"
	}
	return ""
}

func (s Step) render(b *strings.Builder, zh bool) {
	p := peerName(s.Peer, s.Backup, zh)
	skipped := func() {
		if s.Cause == CauseNone {
			return
		}
		if zh {
			fmt.Fprintf(b, "（跳过：%s）", s.causeText(zh))
		} else {
			fmt.Fprintf(b, " (skipped: %s)", s.causeText(zh))
		}
	}
	switch s.Kind {
	case StepSingle:
		if zh {
			fmt.Fprintf(b, "只有一个节点 %s：不做负载均衡，不计 max_fails", s.Key)
		} else {
			fmt.Fprintf(b, "single peer %s: no balancing, max_fails not applied", s.Key)
		}
	case StepSkip:
		if zh {
			fmt.Fprintf(b, "跳过%s：%s", p, s.causeText(zh))
		} else {
			fmt.Fprintf(b, "%s skipped: %s", p, s.causeText(zh))
		}
	case StepWeights:
		over := ""
		if len(s.Peers) < s.Of {
			if zh {
				over = "（参与：" + joinInts(s.Peers) + "）"
			} else {
				over = " over peers " + joinInts(s.Peers)
			}
		}
		if zh {
			fmt.Fprintf(b, "轮询%s：权重 %s，当前权重 %s → %s", over, joinInts(s.Weights), joinInts(s.Values), p)
		} else {
			fmt.Fprintf(b, "round robin%s: weights %s, current %s → %s", over, joinInts(s.Weights), joinInts(s.Values), p)
		}
	case StepIPKey:
		fmt.Fprintf(b, "ip_hash %s", s.Key)
	case StepHashKey:
		if s.Key == "" {
			b.WriteString(`hash ""`)
		} else {
			fmt.Fprintf(b, "hash %q", s.Key)
		}
	case StepHash:
		if zh {
			fmt.Fprintf(b, "哈希值 %d → %s（共 %d）", s.Value, p, s.Of)
		} else {
			fmt.Fprintf(b, "hash %d → %s of %d", s.Value, p, s.Of)
		}
		skipped()
	case StepPoint:
		if !s.Again {
			fmt.Fprintf(b, "crc32 %08x → ", s.Value)
		}
		if zh {
			fmt.Fprintf(b, "环上第 %d 点 → %s", s.Of, s.Key)
		} else {
			fmt.Fprintf(b, "ring point %d → %s", s.Of, s.Key)
		}
		if s.Peer > 0 {
			fmt.Fprintf(b, " → %s", p)
		} else if zh {
			b.WriteString("（无可用节点）")
		} else {
			b.WriteString(" (none available)")
		}
	case StepLeast:
		b.WriteString("least_conn: ")
		for i, n := range s.Peers {
			if i > 0 {
				if zh {
					b.WriteString("，")
				} else {
					b.WriteString(", ")
				}
			}
			writePeer(b, n, s.Backup, zh)
			if zh {
				b.WriteString(" 有 ")
				writeInt(b, s.Values[i])
				b.WriteString(" 个活动连接")
			} else {
				b.WriteString(" has ")
				writeInt(b, s.Values[i])
				b.WriteString(" active")
			}
			if s.Weights[i] != 1 {
				if zh {
					b.WriteString("（权重 ")
					writeInt(b, s.Weights[i])
					b.WriteString("）")
				} else {
					b.WriteString(" (weight ")
					writeInt(b, s.Weights[i])
					b.WriteString(")")
				}
			}
		}
		b.WriteString(" → ")
		b.WriteString(p)
	case StepTie:
		if zh {
			fmt.Fprintf(b, "节点 %s 并列 → 在并列者中轮询：当前权重 %s → %s", joinInts(s.Peers), joinInts(s.Values), p)
		} else {
			fmt.Fprintf(b, "tie between peers %s → round robin among them: current %s → %s", joinInts(s.Peers), joinInts(s.Values), p)
		}
	case StepDraw:
		if zh {
			fmt.Fprintf(b, "random：抽到 %d（总权重 %d）→ %s", s.Value, s.Of, p)
		} else {
			fmt.Fprintf(b, "random %d of %d → %s", s.Value, s.Of, p)
		}
		skipped()
	case StepTwo:
		if zh {
			fmt.Fprintf(b, "random two：%s 有 %d 个活动连接，%s 有 %d 个 → %s",
				peerName(s.Peers[0], s.Backup, zh), s.Values[0], peerName(s.Peers[1], s.Backup, zh), s.Values[1], p)
		} else {
			fmt.Fprintf(b, "random two: %s has %d active, %s has %d → %s",
				peerName(s.Peers[0], s.Backup, zh), s.Values[0], peerName(s.Peers[1], s.Backup, zh), s.Values[1], p)
		}
	case StepFallback:
		switch {
		case s.Value > 0 && zh:
			fmt.Fprintf(b, "试了 %d 次未找到 → 改用轮询", s.Value)
		case s.Value > 0:
			fmt.Fprintf(b, "%d tries without a live peer → round robin", s.Value)
		case zh:
			fmt.Fprintf(b, "%s → 改用轮询", s.Key)
		default:
			fmt.Fprintf(b, "%s → round robin", s.Key)
		}
	case StepBackup:
		if zh {
			b.WriteString("没有可用的主节点 → 改试备用节点 (backup)")
		} else {
			b.WriteString("no primary peer available → backups")
		}
	case StepNoLive:
		if zh {
			b.WriteString("no live upstreams：没有可用的节点")
		} else {
			b.WriteString("no live upstreams")
		}
	}
}
