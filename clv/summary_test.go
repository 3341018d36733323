package clv

import (
	"reflect"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	day := func(d, h int) time.Time { return time.Date(2024, 3, d, h, 30, 0, 0, time.UTC) }
	plus2 := time.FixedZone("UTC+2", 2*3600)
	cases := []struct {
		name string
		p    []Purchase
		end  time.Time
		unit TimeUnit
		want []Summary
	}{
		{
			name: "one-time buyer",
			p:    []Purchase{{"a", day(1, 10), 500}},
			end:  day(11, 0), unit: Day,
			want: []Summary{{Customer: "a", T: 10}},
		},
		{
			name: "same-day purchases merge, first day excluded from spend",
			p: []Purchase{
				{"a", day(1, 9), 500}, {"a", day(1, 15), 700}, // first day
				{"a", day(4, 8), 1000}, {"a", day(4, 20), 500}, // one repeat day of 1500
				{"a", day(8, 12), 2500},
			},
			end: day(11, 0), unit: Day,
			want: []Summary{{Customer: "a", Frequency: 2, Recency: 7, T: 10, Monetary: 2000}},
		},
		{
			name: "calibration end's day is included, later days are not",
			p:    []Purchase{{"a", day(1, 9), 100}, {"a", day(11, 23), 300}, {"a", day(12, 1), 900}, {"b", day(13, 1), 100}},
			end:  day(11, 0), unit: Day,
			want: []Summary{{Customer: "a", Frequency: 1, Recency: 10, T: 10, Monetary: 300}},
		},
		{
			name: "days are taken in calibration end's location",
			// 21:30 UTC on the 1st is 23:30 there; 22:30 and 23:30 UTC are 00:30 and 01:30
			// on the 2nd at UTC+2, one repeat day.
			p:   []Purchase{{"a", day(1, 21), 100}, {"a", day(1, 22), 200}, {"a", day(1, 23), 400}},
			end: time.Date(2024, 3, 11, 0, 0, 0, 0, plus2), unit: Day,
			want: []Summary{{Customer: "a", Frequency: 1, Recency: 1, T: 10, Monetary: 600}},
		},
		{
			name: "weeks, sorted by customer",
			p:    []Purchase{{"b", day(1, 9), 100}, {"a", day(8, 9), 100}, {"b", day(15, 9), 300}},
			end:  day(29, 0), unit: Week,
			want: []Summary{{Customer: "a", T: 3}, {Customer: "b", Frequency: 1, Recency: 2, T: 4, Monetary: 300}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Summarize(tc.p, tc.end, tc.unit); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestSummarizeHoldout(t *testing.T) {
	day := func(d, h int) time.Time { return time.Date(2024, 3, d, h, 0, 0, 0, time.UTC) }
	p := []Purchase{
		{"a", day(1, 9), 100}, {"a", day(12, 9), 100}, {"a", day(12, 18), 100}, {"a", day(20, 9), 100}, {"a", day(25, 9), 100},
		{"b", day(2, 9), 100},
		{"c", day(15, 9), 100}, // first purchase in the holdout: not a calibration customer
	}
	got := SummarizeHoldout(p, day(11, 0), day(21, 23), Week)
	want := Holdout{Length: 10.0 / 7, Purchases: map[string]int{"a": 2, "b": 0}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}
