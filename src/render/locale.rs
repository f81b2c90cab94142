//! Dates and numbers written the way each language writes them, through
//! ICU4X's compiled CLDR data (`3 November 2025`, `7.140` in Indonesian;
//! `3 November 2025`, `7,140` in British English). Nothing here is
//! hand-written locale knowledge.

use icu::calendar::{Date, Gregorian};
use icu::datetime::FixedCalendarDateTimeFormatter;
use icu::datetime::fieldsets::{M, YM, YMD};
use icu::decimal::DecimalFormatter;
use icu::decimal::input::Decimal;
use icu::experimental::dimension::currency::CurrencyType;
use icu::experimental::dimension::currency::formatter::CurrencyFormatter;
use icu::experimental::dimension::percent::formatter::PercentFormatter;
use icu::locale::Locale;

pub struct LocaleFormat {
    month: FixedCalendarDateTimeFormatter<Gregorian, YM>,
    short_month: FixedCalendarDateTimeFormatter<Gregorian, M>,
    long_date: FixedCalendarDateTimeFormatter<Gregorian, YMD>,
    short_date: FixedCalendarDateTimeFormatter<Gregorian, YMD>,
    decimal: DecimalFormatter,
    percent: PercentFormatter<DecimalFormatter>,
    locale: Locale,
}

impl LocaleFormat {
    /// `locale` was checked when the config was read.
    pub fn new(locale: &str) -> Result<Self, String> {
        let locale: Locale = locale
            .parse()
            .map_err(|_| format!("`{locale}` is not a valid locale"))?;
        let long_date = FixedCalendarDateTimeFormatter::try_new((&locale).into(), YMD::long())
            .map_err(|e| format!("no date format for `{locale}`: {e}"))?;
        let short_date = FixedCalendarDateTimeFormatter::try_new((&locale).into(), YMD::medium())
            .map_err(|e| format!("no date format for `{locale}`: {e}"))?;
        let decimal = DecimalFormatter::try_new((&locale).into(), Default::default())
            .map_err(|e| format!("no number format for `{locale}`: {e}"))?;
        let month = FixedCalendarDateTimeFormatter::try_new((&locale).into(), YM::long())
            .map_err(|e| format!("no month format for `{locale}`: {e}"))?;
        let short_month = FixedCalendarDateTimeFormatter::try_new((&locale).into(), M::medium())
            .map_err(|e| format!("no month format for `{locale}`: {e}"))?;
        let percent = PercentFormatter::try_new((&locale).into(), Default::default())
            .map_err(|e| format!("no percent format for `{locale}`: {e}"))?;
        Ok(LocaleFormat {
            percent,
            locale,
            month,
            short_month,
            long_date,
            short_date,
            decimal,
        })
    }

    pub fn long_date(&self, date: jiff::civil::Date) -> String {
        match to_icu(date) {
            Some(date) => self.long_date.format(&date).to_string(),
            None => date.to_string(),
        }
    }

    pub fn medium_date(&self, date: jiff::civil::Date) -> String {
        match to_icu(date) {
            Some(date) => self.short_date.format(&date).to_string(),
            None => date.to_string(),
        }
    }

    pub fn integer(&self, value: i64) -> String {
        self.decimal.format(&Decimal::from(value)).to_string()
    }

    /// A number with at most `fraction_digits` decimals (trailing zeros
    /// dropped): `65,5` in Indonesian, `65.5` in English. Rounding is done
    /// here; separators and grouping are ICU's.
    pub fn number(&self, value: f64, fraction_digits: usize) -> String {
        match rounded(value, fraction_digits) {
            Ok(decimal) => self.decimal.format(&decimal).to_string(),
            Err(text) => text,
        }
    }

    /// A share written with the locale's percent pattern (`65,5%` in
    /// Indonesian, `65.5%` in English, `65,5 %` in French); `value` is
    /// already in percent.
    pub fn percent(&self, value: f64, fraction_digits: usize) -> String {
        match rounded(value, fraction_digits) {
            Ok(decimal) => self.percent.format(&decimal).to_string(),
            Err(text) => format!("{text}%"),
        }
    }

    /// An amount of money in the locale's currency pattern with the
    /// currency's symbol, rounded to the currency's usual digits (`Rp 5.000`
    /// in Indonesian, `IDR 5,000` in English: the rupiah is written whole).
    pub fn currency(&self, value: f64, code: &str) -> Result<String, String> {
        let currency = CurrencyType::try_from_str(&code.to_ascii_lowercase())
            .map_err(|_| format!("`{code}` is not an ISO 4217 currency code"))?;
        let formatter =
            CurrencyFormatter::try_new_symbol((&self.locale).into(), currency, Default::default())
                .map_err(|e| format!("no format for currency `{code}`: {e}"))?;
        let decimal = rounded(value, 4).map_err(|text| format!("`{text}` is not a number"))?;
        Ok(formatter.format_fixed_decimal(&decimal).to_string())
    }

    /// `Agu` / `Aug`, for chart axes.
    pub fn short_month(&self, month: u8) -> String {
        match Date::try_new_gregorian(2000, month, 1) {
            Ok(date) => self.short_month.format(&date).to_string(),
            Err(_) => month.to_string(),
        }
    }

    /// `Agustus 2025` / `August 2025`.
    pub fn month(&self, year: i32, month: u8) -> String {
        match Date::try_new_gregorian(year, month, 1) {
            Ok(date) => self.month.format(&date).to_string(),
            Err(_) => format!("{year:04}-{month:02}"),
        }
    }
}

/// `value` rounded to at most `fraction_digits` decimals, trailing zeros
/// dropped, as ICU's decimal; the text when it is not a finite number.
fn rounded(value: f64, fraction_digits: usize) -> Result<Decimal, String> {
    let text = format!("{value:.fraction_digits$}");
    let trimmed = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text.as_str()
    };
    let trimmed = if trimmed == "-0" { "0" } else { trimmed };
    trimmed.parse::<Decimal>().map_err(|_| trimmed.to_string())
}

fn to_icu(date: jiff::civil::Date) -> Option<Date<Gregorian>> {
    Date::try_new_gregorian(
        i32::from(date.year()),
        u8::try_from(date.month()).ok()?,
        u8::try_from(date.day()).ok()?,
    )
    .ok()
}

/// The locale as Open Graph names it (`id_ID`, `en_GB`): language and
/// region, the region filled in from CLDR's likely subtags when the site
/// gave only a language (`id` is most likely written in Indonesia).
pub fn open_graph_locale(locale: &str) -> Option<String> {
    let locale: Locale = locale.parse().ok()?;
    let mut id = locale.id;
    icu::locale::LocaleExpander::new_common().maximize(&mut id);
    let region = id.region?;
    Some(format!("{}_{}", id.language, region))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indonesian_and_british_dates_and_numbers() {
        let date = jiff::civil::date(2025, 11, 3);
        let id = LocaleFormat::new("id").unwrap();
        assert_eq!(id.long_date(date), "3 November 2025");
        assert_eq!(id.integer(7140), "7.140");
        let en = LocaleFormat::new("en-GB").unwrap();
        assert_eq!(en.long_date(date), "3 November 2025");
        assert_eq!(en.integer(7140), "7,140");
        assert_eq!(id.number(65.5, 1), "65,5");
        assert_eq!(en.number(65.5, 1), "65.5");
        assert_eq!(id.number(1712.0, 1), "1.712");
        assert_eq!(id.number(100.563, 1), "100,6");
        assert_eq!(id.month(2025, 8), "Agustus 2025");
        assert_eq!(en.month(2025, 8), "August 2025");
        assert_eq!(id.short_month(8), "Agu");
        assert_eq!(en.short_month(8), "Aug");
        assert_eq!(id.percent(65.5, 1), "65,5%");
        assert_eq!(en.percent(65.5, 1), "65.5%");
        // CLDR puts a no-break space between the symbol and the amount.
        assert_eq!(id.currency(5000.0, "IDR").unwrap(), "Rp\u{a0}5.000");
        assert_eq!(id.currency(16800.4, "IDR").unwrap(), "Rp\u{a0}16.800");
        assert_eq!(en.currency(12.5, "EUR").unwrap(), "€12.50");
        assert_eq!(en.currency(5000.0, "IDR").unwrap(), "IDR\u{a0}5,000");
    }

    #[test]
    fn open_graph_locales_have_a_region() {
        assert_eq!(super::open_graph_locale("id").as_deref(), Some("id_ID"));
        assert_eq!(super::open_graph_locale("en-GB").as_deref(), Some("en_GB"));
        assert_eq!(super::open_graph_locale("jv").as_deref(), Some("jv_ID"));
    }
}
