// KPI definitions, once: ratios of sums, NULL where the denominator is 0 (never averages of ratios).
function ratios(impressions, clicks, spend, conversions, conversionValue) {
  return `safe_divide(${clicks}, ${impressions}) as ctr,
    safe_divide(${spend}, ${clicks}) as cpc,
    safe_divide(1000 * ${spend}, ${impressions}) as cpm,
    safe_divide(${spend}, ${conversions}) as cpa,
    safe_divide(${conversionValue}, ${spend}) as roas`;
}

const ratioColumns = {
  ctr: "Click-through rate: clicks / impressions; NULL without impressions.",
  cpc: "Cost per click: spend / clicks; NULL without clicks.",
  cpm: "Cost per thousand impressions: 1000 * spend / impressions; NULL without impressions.",
  cpa: "Cost per acquisition: spend / conversions; NULL without conversions.",
  roas: "Return on ad spend: conversion_value / spend; NULL without spend."
};

module.exports = { ratios, ratioColumns };
