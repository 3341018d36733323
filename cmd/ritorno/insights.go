package main

import (
	"context"
	"time"

	"github.com/ritorno/ritorno"
	"github.com/ritorno/ritorno/analytics"
	"github.com/ritorno/ritorno/app"
	"github.com/ritorno/ritorno/store"
)

// adminInsights implements app.Insights: period figures computed from the stored orders
// by analytics, per-buyer insights read as precomputed.
type adminInsights struct {
	db  *store.DB
	svc *analytics.Service
}

var _ app.Insights = adminInsights{}

func newAdminInsights(db *store.DB) adminInsights {
	return adminInsights{db: db, svc: analytics.NewService(db, nil)}
}

func (s adminInsights) Period(ctx context.Context, shopID int64, from, to, lookbackFrom time.Time) (analytics.ShopFigures, error) {
	return s.svc.Period(ctx, shopID, from, to, lookbackFrom)
}

func (s adminInsights) Cohorts(ctx context.Context, shopID int64) (analytics.CohortTable, error) {
	return s.svc.Cohorts(ctx, shopID)
}

func (s adminInsights) ShopInsight(ctx context.Context, shopID int64) (ritorno.ShopInsight, error) {
	return s.db.ShopInsight(ctx, shopID)
}

func (s adminInsights) Segments(ctx context.Context, shopID int64) ([]app.SegmentRow, error) {
	shop, err := s.db.Shop(ctx, shopID)
	if err != nil {
		return nil, err
	}
	sums, err := s.db.SegmentSummaries(ctx, shopID, shop.Currency)
	if err != nil {
		return nil, err
	}
	rows := make([]app.SegmentRow, len(sums))
	for i, r := range sums {
		rows[i] = app.SegmentRow{Segment: r.Segment, Customers: r.Customers, NetSpent: r.NetSpent,
			MeanExpectedValue: r.MeanExpectedValue, PredictedCustomers: r.PredictedCustomers}
	}
	return rows, nil
}

func (s adminInsights) Customers(ctx context.Context, shopID int64, q app.CustomerQuery) ([]ritorno.CustomerInsight, int64, error) {
	return s.db.ListCustomerInsights(ctx, shopID, store.InsightFilter{Segment: q.Segment, Query: q.Q, Sort: q.Sort, Limit: q.Limit, Offset: q.Offset})
}

func (s adminInsights) Customer(ctx context.Context, shopID, key int64) (ritorno.CustomerInsight, error) {
	return s.db.CustomerInsight(ctx, shopID, key)
}
