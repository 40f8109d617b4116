/**
 * Money as people read it: rupees with the symbol ("₹3,000"), paise only when there are some. An
 * unknown currency code still reads as the number and the code.
 */
export function formatMoney(amount: number, currency = 'INR'): string {
  const whole = Number.isInteger(amount);
  try {
    return new Intl.NumberFormat('en-IN', {
      style: 'currency',
      currency,
      minimumFractionDigits: whole ? 0 : 2,
      maximumFractionDigits: 2,
    }).format(amount);
  } catch {
    return `${amount.toLocaleString('en-IN')} ${currency}`;
  }
}
