package ritorno_test

import (
	"math"
	"testing"

	"github.com/ritorno/ritorno"
)

// TestRecommendControlsBounds: every number fits the 32-bit column that holds it, and
// exclusions are text PostgreSQL stores (issue 13, defect 5).
func TestRecommendControlsBounds(t *testing.T) {
	if ritorno.MaxUpsellPercent > math.MaxInt32 || ritorno.MaxMinEvidence > math.MaxInt32 {
		t.Fatal("a bound exceeds the INTEGER columns of recommend_controls")
	}
	ok := []ritorno.RecommendControls{
		{},
		{UpsellMinPercent: 100, UpsellMaxPercent: ritorno.MaxUpsellPercent, MinEvidence: ritorno.MaxMinEvidence},
		{ExcludedTags: []string{"Sale", "été"}, ExcludedVendors: []string{"Acme"}},
	}
	for _, c := range ok {
		if err := c.Validate(); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
	bad := map[string]ritorno.RecommendControls{
		"min evidence over int4":      {MinEvidence: math.MaxInt32 + 1},
		"min evidence over the bound": {MinEvidence: ritorno.MaxMinEvidence + 1},
		"up-sell minimum over int4":   {UpsellMinPercent: math.MaxInt32 + 1},
		"up-sell maximum over int4":   {UpsellMaxPercent: math.MaxInt32 + 1},
		"up-sell maximum over bound":  {UpsellMaxPercent: ritorno.MaxUpsellPercent + 1},
		"negative evidence":           {MinEvidence: -1},
		"tag with NUL":                {ExcludedTags: []string{"sale\x00"}},
		"tag not UTF-8":               {ExcludedTags: []string{"\xff\xfe"}},
		"vendor with control":         {ExcludedVendors: []string{"a\nb"}},
		"tag over 255 characters":     {ExcludedTags: []string{longText(256)}},
	}
	for name, c := range bad {
		if err := c.Validate(); ritorno.ErrorCode(err) != ritorno.EINVALID {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func longText(n int) string {
	b := make([]rune, n)
	for i := range b {
		b[i] = 'é'
	}
	return string(b)
}
