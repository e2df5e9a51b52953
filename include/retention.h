/**
 * @file retention.h
 * @brief libretention: incremental, exact retention, churn, loyalty and
 *        satisfaction metrics for customer event streams.
 *
 * This header is the whole public contract of the library.
 *
 * A host creates a context (::rtn_ctx_new), pushes customer events into it
 * as they happen (::rtn_push, ::rtn_push_batch) in any order, and asks at any
 * moment for a metric over any period (::rtn_query, ::rtn_query_series).
 * Every answer is computed from accumulators kept up to date as events
 * arrive; no call rescans the history of events.
 *
 * Conventions:
 * - Every fallible call returns an `int` status: ::RTN_OK (0) or a negative
 *   ::rtn_status code. ::rtn_strerror gives its message and
 *   ::rtn_ctx_last_error the detail of the last failure on a context.
 * - A call that fails leaves the context exactly as it was.
 * - No call aborts, exits or prints.
 * - Output parameters come first.
 * - Structs that may grow carry their size as their first field and have an
 *   `*_init` function; always initialise them with it.
 * - One context is used by one thread at a time; distinct contexts are
 *   independent.
 *
 * Time is an `int64_t` count of milliseconds since the Unix epoch (UTC).
 * The context keeps time at a resolution (day or hour, see ::rtn_config);
 * query bounds are floored to that resolution.
 */
#ifndef RETENTION_H
#define RETENTION_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @name Export control
 *  @{ */
#if defined(RTN_STATIC)
#define RTN_API
#elif defined(_WIN32)
#if defined(RTN_BUILDING)
#define RTN_API __declspec(dllexport)
#else
#define RTN_API __declspec(dllimport)
#endif
#elif defined(__GNUC__) && __GNUC__ >= 4
/** Marks a declaration as part of the public ABI. */
#define RTN_API __attribute__((visibility("default")))
#else
#define RTN_API
#endif
/** @} */

/** @name Version
 *  @{ */
#define RTN_VERSION_MAJOR 1 /**< Major version: the ABI only grows within it. */
#define RTN_VERSION_MINOR 0 /**< Minor version: grows with new features. */
#define RTN_VERSION_PATCH 0 /**< Patch version: fixes only. */
/** The version as one number: major * 10000 + minor * 100 + patch. */
#define RTN_VERSION_NUMBER                                                     \
    (RTN_VERSION_MAJOR * 10000 + RTN_VERSION_MINOR * 100 + RTN_VERSION_PATCH)
/** @} */

/**
 * @brief The version of the library actually linked.
 * @return A string "MAJOR.MINOR.PATCH", static, never NULL.
 */
RTN_API const char *rtn_version(void);

/**
 * @brief The version number of the library actually linked.
 * @return major * 10000 + minor * 100 + patch (compare with
 *         ::RTN_VERSION_NUMBER).
 */
RTN_API int rtn_version_number(void);

/* ------------------------------------------------------------------------ */
/** @name Status codes
 *  @{ */

/** Status codes returned by every fallible call. Values never change. */
typedef enum rtn_status {
    RTN_OK = 0,            /**< Success. */
    RTN_EINVAL = -1,       /**< A NULL pointer or an argument out of domain. */
    RTN_ENOMEM = -2,       /**< Allocation failed or the memory cap is hit. */
    RTN_ETYPE = -3,        /**< Unknown event type. */
    RTN_ESCORE = -4,       /**< Survey score off its scale or not integral. */
    RTN_EAMOUNT = -5,      /**< Amount NaN, infinite, negative or too big. */
    RTN_ETIME = -6,        /**< Time outside the supported range. */
    RTN_EMETRIC = -7,      /**< Unknown metric, or a metric this call cannot answer. */
    RTN_EPERIOD = -8,      /**< A period with `from > to`, or bad series bucket. */
    RTN_ECONFIG = -9,      /**< Invalid configuration. */
    RTN_EID = -10,         /**< Invalid customer or reference id (empty or too long). */
    RTN_ERANGE = -11,      /**< A caller buffer is too small, or a counter would overflow. */
    RTN_ENOTFOUND = -12,   /**< The customer or object asked for is not known. */
    RTN_EFORMAT = -13,     /**< A snapshot is corrupt, truncated or hostile. */
    RTN_EVERSION = -14,    /**< A snapshot of an unsupported format version. */
    RTN_EIO = -15,         /**< An I/O error (file or callback). */
    RTN_EMISMATCH = -16,   /**< Contexts with incompatible configurations. */
    RTN_EQUANTITY = -17    /**< Item quantity out of range. */
} rtn_status;

/**
 * @brief A static English message for a status code.
 * @param code A ::rtn_status value (unknown values give a generic message).
 * @return A static string, never NULL.
 */
RTN_API const char *rtn_strerror(int code);
/** @} */

/* ------------------------------------------------------------------------ */
/** @name Configuration
 *  @{ */

/** Time resolution of a context's state. */
typedef enum rtn_resolution {
    RTN_RESOLUTION_DAY = 0, /**< One bucket per (local) day. The default. */
    RTN_RESOLUTION_HOUR = 1 /**< One bucket per hour. */
} rtn_resolution;

/**
 * @brief Allocator hooks. All three function pointers are set, or none.
 *
 * `malloc_fn` and `realloc_fn` return NULL on failure; the library then
 * reports ::RTN_ENOMEM and leaves the context as it was.
 */
typedef struct rtn_allocator {
    void *(*malloc_fn)(size_t size, void *user);              /**< Allocate. */
    void *(*realloc_fn)(void *ptr, size_t size, void *user);  /**< Resize. */
    void (*free_fn)(void *ptr, void *user);                   /**< Release (ptr may be NULL). */
    void *user;                                               /**< Passed to each hook. */
} rtn_allocator;

/** Health-score weights; see ::rtn_health_score. Non-negative, not all 0. */
typedef struct rtn_health_weights {
    double recency;       /**< Weight of recency of the last start event. */
    double frequency;     /**< Weight of purchases in the trailing year. */
    double monetary;      /**< Weight of revenue in the trailing year. */
    double satisfaction;  /**< Weight of the latest NPS/CSAT answer. */
    double contacts;      /**< Weight of the absence of open service contacts. */
} rtn_health_weights;

/**
 * @brief Context configuration. Initialise with ::rtn_config_init.
 *
 * Fields may be added at the end in later minor versions; `size` tells the
 * library which fields the caller knows.
 */
typedef struct rtn_config {
    uint32_t size;               /**< sizeof(rtn_config), set by ::rtn_config_init. */
    int32_t resolution;          /**< ::rtn_resolution; default day. */
    int32_t day_offset_minutes;  /**< Fixed offset of the business's local day from UTC, -1440..1440 exclusive; default 0. */
    int32_t inactivity_days;     /**< Inferred churn: a customer with no start event for this many days is lost; 0 (default) = off. With hour resolution the window is 24 * days buckets. */
    uint64_t memory_cap;         /**< Bytes the context may hold; 0 = unlimited (default). */
    rtn_allocator allocator;     /**< Allocator hooks; all NULL = libc (default). */
    int32_t loyal_min_purchases; /**< Purchases that make a customer loyal; default 3. */
    int32_t loyal_window_days;   /**< Trailing window for loyalty; default 365. */
    double gross_margin;         /**< Margin applied to CLV, in (0, 1]; default 1.0. */
    int32_t csat_min;            /**< CSAT scale minimum; default 1. */
    int32_t csat_max;            /**< CSAT scale maximum; default 5. */
    int32_t csat_satisfied;      /**< Lowest "satisfied" CSAT score; default 4. */
    int32_t ces_min;             /**< CES scale minimum; default 1. */
    int32_t ces_max;             /**< CES scale maximum; default 7. */
    int32_t value_event;         /**< Time-to-value event: ::RTN_VALUE_DEFAULT (second purchase or first feature use) or an ::rtn_event_type (its first occurrence at or after the acquisition). */
    rtn_health_weights health;   /**< Health-score weights; default 0.3, 0.2, 0.2, 0.2, 0.1. */
} rtn_config;

/** The current size of ::rtn_config, for ::rtn_config_init. */
#define RTN_CONFIG_VERSION ((uint32_t)sizeof(rtn_config))

/** Time-to-value default: the second purchase or the first feature use. */
#define RTN_VALUE_DEFAULT 0

/**
 * @brief Fill a config with the defaults.
 * @param cfg  The config to fill.
 * @param size sizeof(rtn_config) as the caller knows it (::RTN_CONFIG_VERSION).
 * @return ::RTN_OK, or ::RTN_EINVAL when cfg is NULL or size is unknown.
 */
RTN_API int rtn_config_init(rtn_config *cfg, uint32_t size);
/** @} */

/* ------------------------------------------------------------------------ */
/** @name Context
 *  @{ */

/** An opaque metrics context. */
typedef struct rtn_ctx rtn_ctx;

/**
 * @brief Create a context.
 * @param out Receives the new context, or NULL on failure.
 * @param cfg Configuration, or NULL for the defaults.
 * @return ::RTN_OK, ::RTN_EINVAL, ::RTN_ECONFIG or ::RTN_ENOMEM.
 */
RTN_API int rtn_ctx_new(rtn_ctx **out, const rtn_config *cfg);

/** @brief Free a context and everything it holds. NULL is accepted. */
RTN_API void rtn_ctx_free(rtn_ctx *ctx);

/**
 * @brief The detail of the last failed call on this context.
 * @return A string owned by the context, valid until the next call on it;
 *         "" when no call has failed; a static message when ctx is NULL.
 */
RTN_API const char *rtn_ctx_last_error(const rtn_ctx *ctx);

/** Counters describing a context; see ::rtn_ctx_stats. */
typedef struct rtn_stats {
    uint32_t size;          /**< sizeof(rtn_stats), set by ::rtn_stats_init. */
    uint32_t reserved;      /**< Zero; explicit padding, so `events` is at offset 8 on every platform. */
    uint64_t events;        /**< Events accepted so far. */
    uint64_t customers;     /**< Distinct customers seen. */
    int64_t first_time;     /**< Earliest event time (ms), 0 when empty. */
    int64_t last_time;      /**< Latest event time (ms), 0 when empty. */
    uint64_t memory_bytes;  /**< Bytes currently allocated by the context (after pushes without a memory cap, before the next query applies them, not yet what applying them adds). */
} rtn_stats;

/** @brief Initialise an ::rtn_stats (sets its size). @return ::RTN_OK or ::RTN_EINVAL. */
RTN_API int rtn_stats_init(rtn_stats *stats, uint32_t size);

/**
 * @brief Read a context's counters.
 * @return ::RTN_OK or ::RTN_EINVAL.
 */
RTN_API int rtn_ctx_stats(rtn_stats *out, const rtn_ctx *ctx);
/** @} */

/* ------------------------------------------------------------------------ */
/** @name Events
 *  @{ */

/** Event types. Values never change. */
typedef enum rtn_event_type {
    RTN_EV_ACQUIRE = 1,          /**< Sign-up; `ref` = referrer customer. */
    RTN_EV_CHURN = 2,            /**< Explicit cancellation. */
    RTN_EV_PURCHASE = 3,         /**< `value` = amount, `quantity` = items, `ref` = order. */
    RTN_EV_RETURN = 4,           /**< `value` = amount, `quantity` = items returned. */
    RTN_EV_SUBSCRIPTION = 5,     /**< `value` = MRR of subscription `ref` (numeric, or exact bytes; 0 or empty = the customer's only one) from now on; 0 ends it. */
    RTN_EV_ACTIVITY = 6,         /**< Generic product activity. */
    RTN_EV_FEATURE = 7,          /**< Use of feature `ref` / `ref_str`; with neither, activity only. */
    RTN_EV_PAGE_VIEW = 8,        /**< A page view. */
    RTN_EV_SHARE = 9,            /**< A share. */
    RTN_EV_VISIT = 10,           /**< A visit (an interaction that may convert). */
    RTN_EV_CONVERSION = 11,      /**< A conversion. */
    RTN_EV_CART_CREATE = 12,     /**< Cart `ref` of the customer created (no ref: the customer's only cart). */
    RTN_EV_CART_CHECKOUT = 13,   /**< Cart `ref` checked out. */
    RTN_EV_CONTACT_OPEN = 14,    /**< Service contact `ref` of the customer opened (no ref: its only contact). */
    RTN_EV_CONTACT_RESOLVE = 15, /**< Service contact `ref` resolved. */
    RTN_EV_CONTACT_ABANDON = 16, /**< Service contact `ref` abandoned. */
    RTN_EV_NPS = 17,             /**< NPS answer, `value` integer 0..10. */
    RTN_EV_CSAT = 18,            /**< CSAT answer on the configured scale. */
    RTN_EV_CES = 19              /**< CES answer on the configured scale. */
} rtn_event_type;

/** Longest byte-string id (customer or ref) accepted, in bytes. */
#define RTN_ID_MAX 1024

/**
 * @brief One customer event. Initialise with ::rtn_event_init.
 *
 * The customer is `customer_str` (exact bytes, `customer_len` of them) when
 * that is non-NULL, else the 64-bit `customer`. A numeric id and a string
 * id are different customers even when the string spells the number.
 * The same holds for `ref` / `ref_str`.
 */
typedef struct rtn_event {
    uint32_t size;            /**< sizeof(rtn_event), set by ::rtn_event_init. */
    int32_t type;             /**< An ::rtn_event_type. */
    int64_t time;             /**< Milliseconds since the Unix epoch, UTC; 1970..2199. */
    uint64_t customer;        /**< Numeric customer id (when customer_str is NULL). */
    const char *customer_str; /**< Byte-string customer id, or NULL. */
    uint32_t customer_len;    /**< Bytes in customer_str, 1..::RTN_ID_MAX. */
    uint32_t ref_len;         /**< Bytes in ref_str, 0..::RTN_ID_MAX. */
    const char *ref_str;      /**< Byte-string reference, or NULL. */
    uint64_t ref;             /**< Numeric reference (when ref_str is NULL); 0 = none. */
    double value;             /**< Amount, MRR or score; see ::rtn_event_type. */
    int64_t quantity;         /**< Items for purchase/return; 0 means 1. */
} rtn_event;

/** The current size of ::rtn_event. */
#define RTN_EVENT_VERSION ((uint32_t)sizeof(rtn_event))

/** @brief Zero an event and set its size. @return ::RTN_OK or ::RTN_EINVAL. */
RTN_API int rtn_event_init(rtn_event *ev, uint32_t size);

/**
 * @brief Push one event.
 *
 * The event is validated first: an unknown type gives ::RTN_ETYPE, a time
 * out of range ::RTN_ETIME, a NaN/negative amount ::RTN_EAMOUNT, a score
 * off its scale ::RTN_ESCORE; the context is then unchanged.
 *
 * A push records the event in its customer's history; the metrics that
 * depend on that history are brought up to date by the next query (once
 * per changed customer, whatever the number of its events in between), so
 * a burst of pushes is cheap and the first query after it takes the time
 * the pushes saved. Under a memory cap (rtn_config::memory_cap) every push
 * brings them up to date itself, so that the cap is met by the push.
 * @return ::RTN_OK or a negative ::rtn_status.
 */
RTN_API int rtn_push(rtn_ctx *ctx, const rtn_event *ev);

/**
 * @brief Push events in order, stopping at the first failure.
 *
 * The same as ::rtn_push on each event in turn, only faster: while it
 * works on one event, the library asks the memory for what the next few
 * will touch (their customers' records and entries, feature uses, carts,
 * contacts, subscriptions), so their cache misses overlap. Events of one
 * customer next to each other cost least.
 * @param ctx      The context.
 * @param evs      Array of `n` events (stride: evs[0].size).
 * @param n        Number of events.
 * @param accepted Receives the number of events pushed before any failure
 *                 (may be NULL). Events before the failing one stay pushed;
 *                 the failing one and later ones are not.
 * @return ::RTN_OK, or the status of the first failing event.
 */
RTN_API int rtn_push_batch(rtn_ctx *ctx, const rtn_event *evs, size_t n,
                           size_t *accepted);

/** @brief Parse an event type name ("purchase"). @return The type, or ::RTN_ETYPE. */
RTN_API int rtn_event_type_from_name(const char *name);

/** @brief The name of an event type. @return A static string, or NULL if unknown. */
RTN_API const char *rtn_event_type_name(int type);
/** @} */

/* ------------------------------------------------------------------------ */
/** @name Metrics
 *  @{ */

/**
 * Metrics, numbered in bands of 100 per family. Values never change.
 * The meaning of each is in docs/metrics.md (from METRICS.md).
 * "Instant" metrics are evaluated at `to`.
 */
typedef enum rtn_metric {
    /* Customer base */
    RTN_METRIC_RETENTION_RATE = 100,        /**< (E - N) / S * 100. */
    RTN_METRIC_CHURN_RATE = 101,            /**< L / S * 100. */
    RTN_METRIC_CHURN_RATE_EXISTING = 102,   /**< Customers of S lost in the period / S * 100. */
    RTN_METRIC_CHURN_RATE_JOINED = 103,     /**< L / (S + N) * 100. */
    RTN_METRIC_CUSTOMERS_START = 104,       /**< S: active at `from`. */
    RTN_METRIC_CUSTOMERS_END = 105,         /**< E: active at `to`. */
    RTN_METRIC_CUSTOMERS_NEW = 106,         /**< N: first acquisitions in the period. */
    RTN_METRIC_CUSTOMERS_REACTIVATED = 107, /**< R: reactivations in the period. */
    RTN_METRIC_CUSTOMERS_LOST = 108,        /**< L: losses in the period. */
    /* Purchases and loyalty */
    RTN_METRIC_REPEAT_PURCHASE_RATIO = 200,  /**< Buyers with >= 2 purchases / buyers * 100. */
    RTN_METRIC_PURCHASE_FREQUENCY = 201,     /**< Purchases / distinct buyers. */
    RTN_METRIC_AVERAGE_ORDER_VALUE = 202,    /**< Revenue / purchases. */
    RTN_METRIC_PRODUCT_RETURN_RATE = 203,    /**< Items returned / items sold * 100. */
    RTN_METRIC_LOYAL_CUSTOMER_RATE = 204,    /**< Loyal at `to` / active at `to` * 100. */
    RTN_METRIC_CUSTOMER_LIFETIME_VALUE = 205,/**< AOV * frequency * margin / (churn / 100). */
    RTN_METRIC_REFERRALS = 206,              /**< New customers with a referrer. */
    RTN_METRIC_REFERRAL_RATE = 207,          /**< Referrals / N * 100. */
    RTN_METRIC_PURCHASES = 208,              /**< Purchases in the period. */
    RTN_METRIC_REVENUE = 209,                /**< Purchase revenue in the period. */
    RTN_METRIC_BUYERS = 210,                 /**< Distinct purchasing customers. */
    /* Satisfaction */
    /** %promoters (9-10) - %detractors (0-6) over NPS answers in the
     *  period, -100..100; lo/hi: normal 95 % interval with
     *  var = (p + q - (p - q)^2) / n, clamped to -100..100. */
    RTN_METRIC_NPS = 300,
    /** CSAT answers at or above `csat_satisfied` / answers * 100; Wilson
     *  95 % interval. */
    RTN_METRIC_CSAT = 301,
    /** Mean CSAT score; lo/hi: normal 95 % interval from the sample
     *  variance (needs 2 answers or more, else NaN). */
    RTN_METRIC_CSAT_MEAN = 302,
    /** Mean CES score; interval as for ::RTN_METRIC_CSAT_MEAN. */
    RTN_METRIC_CES = 303,
    /* Engagement and journey */
    /** Distinct customers with any event (of any type) in the period; exact. */
    RTN_METRIC_ACTIVE_CUSTOMERS = 400,
    /** Distinct customers with any event in the day ending at `to` (a
     *  rolling window: 24 buckets at hour resolution; `from` is ignored). */
    RTN_METRIC_DAU = 401,
    RTN_METRIC_WAU = 402,                    /**< As ::RTN_METRIC_DAU over the 7 days ending at `to`. */
    RTN_METRIC_MAU = 403,                    /**< As ::RTN_METRIC_DAU over the 30 days ending at `to`. */
    /** Mean DAU over the 30 days ending at `to` / active customers in those
     *  30 days * 100. Mean DAU = distinct (customer, day) pairs / 30 (the
     *  numerator). At hour resolution the days are whole local days: `to`
     *  is floored to the start of its local day. Undefined when no one is
     *  active in the 30 days. */
    RTN_METRIC_STICKINESS = 404,
    /** Distinct customers who used the feature named in ::rtn_query_opts in
     *  the period / distinct active customers in the period * 100, with
     *  Wilson bounds. A feature never used gives 0 (not an error);
     *  undefined when no one is active. */
    RTN_METRIC_FEATURE_ADOPTION_RATE = 405,
    /** Feature events for the feature named in ::rtn_query_opts in the
     *  period (each event counts); 0 for a feature never used. */
    RTN_METRIC_FEATURE_USAGE = 406,
    RTN_METRIC_PAGE_VIEWS = 407,             /**< Page view events in the period. */
    RTN_METRIC_SHARES = 408,                 /**< Share events in the period. */
    /** Conversion events / visit events in the period * 100 (Wilson
     *  interval when conversions <= visits). */
    RTN_METRIC_CONVERSION_RATE = 409,
    /** Carts created in the period (a cart is a customer's `ref`; created
     *  at its earliest create event) whose earliest checkout is absent or
     *  at or after `to`, / carts created in the period * 100. */
    RTN_METRIC_CART_ABANDONMENT_RATE = 410,
    /** Contacts opened in the period (earliest open event) with an abandon
     *  event before `to`, / contacts opened in the period * 100. */
    RTN_METRIC_CALL_ABANDONMENT_RATE = 411,
    /** Contacts resolved in the period (earliest resolve event, at or after
     *  the earliest open): value = mean resolve - open in hours (exact);
     *  p50, p90 = nearest-rank percentiles from a log histogram, within
     *  1 % of the exact values. */
    RTN_METRIC_TIME_TO_RESOLUTION = 412,
    /** Customers first acquired in the period who reached their first
     *  value event (see ::rtn_config.value_event) before `to`: value = mean
     *  days from the acquisition bucket to the value event's bucket; p50 =
     *  nearest-rank median. Resolution: one bucket. */
    RTN_METRIC_TIME_TO_VALUE = 413,
    /** (contacts opened per active customer in the period) / (the same in
     *  the previous period of equal length) - 1, * 100; undefined when
     *  either period has no active customer or the previous one no
     *  contact. */
    RTN_METRIC_INTERACTION_CHANGE = 414,
    /** Mean ::rtn_health_score at `to` over customers active at `to`.
     *  Costs O(customers) per query. */
    RTN_METRIC_HEALTH_SCORE = 415,
    /* Subscription revenue. A subscription event sets the MRR of one
     * subscription (`ref`) from its bucket on; 0 ends it. Within one bucket
     * the latest event of a subscription wins (by time, then the larger
     * MRR). A customer's MRR is the sum over its subscriptions at the end
     * of each bucket; each change of it is one movement. Money is exact:
     * integer units of 1/10000, see docs/revenue.md. */
    RTN_METRIC_MRR = 500,                     /**< Sum of all customers' MRR at the instant `to` (changes in buckets before `to`); n = paying customers. */
    RTN_METRIC_MRR_NEW = 501,                 /**< MRR of customers whose MRR rose from 0 for the first time (no earlier subscription event above 0), in the period. */
    RTN_METRIC_MRR_EXPANSION = 502,           /**< Increases of paying customers' MRR in the period (summed per change). */
    RTN_METRIC_MRR_CONTRACTION = 503,         /**< Decreases of MRR that leave the customer paying (ending one of several subscriptions included), in the period. */
    RTN_METRIC_MRR_CHURNED = 504,             /**< The whole MRR of customers whose MRR fell to 0 in the period (such a customer is also lost in the customer counts). */
    RTN_METRIC_MRR_REACTIVATION = 505,        /**< MRR of customers whose MRR rose from 0 after they had paid before, in the period. */
    RTN_METRIC_REVENUE_CHURN_RATE = 506,      /**< (churned + contraction) / mrr(from) * 100; undefined when mrr(from) = 0. */
    RTN_METRIC_GROSS_REVENUE_RETENTION = 507, /**< (mrr(from) - churned - contraction) / mrr(from) * 100; undefined when mrr(from) = 0. */
    RTN_METRIC_NET_REVENUE_RETENTION = 508,   /**< (mrr(from) + expansion - churned - contraction) / mrr(from) * 100; undefined when mrr(from) = 0. */
    RTN_METRIC_QUICK_RATIO = 509,             /**< (new + expansion + reactivation) / (churned + contraction); undefined when the denominator is 0. */
    RTN_METRIC_ARPA = 510,                    /**< MRR / paying customers (MRR above 0) at `to`; undefined with no paying customer; n = paying customers. */
    /* Lifecycle (cohorts and survival have their own calls) */
    /* The previous period is [from - (to - from), from). "Active": an event
     * at or after the customer's acquisition bucket. new + returning +
     * resurrected = active in the period; returning + dormant = active in
     * the previous one. See docs/cohorts.md. */
    RTN_METRIC_LIFECYCLE_NEW = 600,         /**< First acquisitions in the period (N). */
    RTN_METRIC_LIFECYCLE_RETURNING = 601,   /**< Active in this and the previous period. */
    RTN_METRIC_LIFECYCLE_RESURRECTED = 602, /**< Active now, not in the previous period, not new. */
    RTN_METRIC_LIFECYCLE_DORMANT = 603      /**< Active in the previous period, not in this one. */
} rtn_metric;

/** Flags describing a metric, in ::rtn_metric_info. */
typedef enum rtn_metric_flag {
    RTN_MF_RATE = 1,          /**< A percentage (0..100 or beyond for NRR). */
    RTN_MF_COUNT = 2,         /**< A count. */
    RTN_MF_INSTANT = 4,       /**< Evaluated at `to` only. */
    RTN_MF_BOUNDS = 8,        /**< Comes with 95 % bounds (lo, hi). */
    RTN_MF_NEEDS_FEATURE = 16,/**< Needs a feature in ::rtn_query_opts. */
    RTN_MF_MONEY = 32,        /**< A money amount. */
    RTN_MF_PERCENTILES = 64   /**< Carries p50 and p90. */
} rtn_metric_flag;

/** Static description of a metric. */
typedef struct rtn_metric_info {
    uint32_t size;        /**< sizeof(rtn_metric_info), set by the caller. */
    int32_t metric;       /**< The ::rtn_metric. */
    const char *name;     /**< Name as in METRICS.md ("retention_rate"). */
    const char *unit;     /**< "%", "customers", "count", "money", "hours", "days", "ratio", "score". */
    uint32_t flags;       /**< ::rtn_metric_flag bits. */
    uint32_t reserved;    /**< Zero. */
} rtn_metric_info;

/**
 * @brief Describe a metric.
 * @param out  Receives the description; out->size must be set.
 * @param metric An ::rtn_metric.
 * @return ::RTN_OK, ::RTN_EINVAL or ::RTN_EMETRIC.
 */
RTN_API int rtn_metric_info_get(rtn_metric_info *out, int metric);

/**
 * @brief Enumerate metrics: the first known metric greater than `metric`.
 * @return A metric value, or -1 after the last. Start with 0.
 */
RTN_API int rtn_metric_next(int metric);

/** @brief Parse a metric name. @return The metric, or ::RTN_EMETRIC. */
RTN_API int rtn_metric_from_name(const char *name);

/**
 * @brief The result of a query. Initialise with ::rtn_value_init.
 *
 * An undefined value (a rate whose denominator is 0) has `defined` = 0 and
 * `value` = NaN; it is never reported as 0. Fields that do not apply are NaN.
 */
typedef struct rtn_value {
    uint32_t size;       /**< sizeof(rtn_value), set by ::rtn_value_init. */
    int32_t defined;     /**< 1 when value is defined, 0 otherwise. */
    int64_t from;        /**< Period start (floored to the resolution), ms. */
    int64_t to;          /**< Period end (floored to the resolution), ms. */
    double value;        /**< The metric (mean for distribution metrics). */
    double numerator;    /**< Numerator of a ratio (or the value of a count). */
    double denominator;  /**< Denominator of a ratio (1 for counts). */
    double lo;           /**< Lower 95 % bound, or NaN. */
    double hi;           /**< Upper 95 % bound, or NaN. */
    double p50;          /**< Median, or NaN. */
    double p90;          /**< 90th percentile, or NaN. */
    int64_t n;           /**< Sample size behind the value (responses, buyers, ...). */
} rtn_value;

/** The current size of ::rtn_value. */
#define RTN_VALUE_VERSION ((uint32_t)sizeof(rtn_value))

/** @brief Initialise an ::rtn_value (sets size, NaNs the rest). @return ::RTN_OK or ::RTN_EINVAL. */
RTN_API int rtn_value_init(rtn_value *v, uint32_t size);

/** Extra query parameters. Initialise with ::rtn_query_opts_init. */
typedef struct rtn_query_opts {
    uint32_t size;            /**< sizeof(rtn_query_opts). */
    uint32_t feature_len;     /**< Bytes in feature_str, 1..::RTN_ID_MAX (else ::RTN_EID). */
    const char *feature_str;  /**< Feature as a string id, or NULL. A string never matches a numeric id. */
    uint64_t feature;         /**< Feature as a numeric id (when feature_str is NULL); 0 is none (::RTN_EID). */
} rtn_query_opts;

/** @brief Initialise query options. @return ::RTN_OK or ::RTN_EINVAL. */
RTN_API int rtn_query_opts_init(rtn_query_opts *opts, uint32_t size);

/**
 * @brief Compute a metric over the period `[from, to)`.
 *
 * `from` and `to` are floored to the context's resolution (in its local
 * day). Instant metrics are evaluated at `to`.
 *
 * The first query after pushes first applies them to the accumulators (see
 * ::rtn_push): its cost is that of the changed customers' histories, once;
 * the following queries take microseconds. If that needs memory that is
 * not available, the query fails with ::RTN_ENOMEM and the results are
 * unchanged (the same query can be asked again).
 * @param out    Receives the value; out->size must be set (::rtn_value_init).
 * @param ctx    The context.
 * @param metric An ::rtn_metric.
 * @param from   Period start, ms.
 * @param to     Period end (exclusive), ms; `from <= to`.
 * @param opts   Extra parameters, or NULL.
 * @return ::RTN_OK (check out->defined), ::RTN_EINVAL, ::RTN_EMETRIC,
 *         ::RTN_EPERIOD, ::RTN_ETIME, ::RTN_EID (a bad feature in opts) or
 *         ::RTN_ENOMEM.
 */
RTN_API int rtn_query(rtn_value *out, rtn_ctx *ctx, int metric, int64_t from,
                      int64_t to, const rtn_query_opts *opts);

/** Series bucket sizes. */
typedef enum rtn_every {
    RTN_EVERY_DAY = 1,     /**< Local days. */
    RTN_EVERY_WEEK = 2,    /**< ISO weeks (Monday to Sunday). */
    RTN_EVERY_MONTH = 3,   /**< Calendar months. */
    RTN_EVERY_QUARTER = 4  /**< Calendar quarters. */
} rtn_every;

/**
 * @brief Compute a metric for every calendar bucket of `[from, to)`.
 *
 * Buckets are the calendar days, ISO weeks, months or quarters (in the
 * context's local day) that intersect the period; the first and last are
 * clipped to it. out[i].from and out[i].to give each bucket.
 * @param out   Array of `cap` values; out[0].size must be set and is the
 *              stride; may be NULL when cap is 0 (to ask for the count).
 * @param cap   Capacity of out.
 * @param n_out Receives the number of buckets (even when cap is too small).
 * @param ctx   The context.
 * @param metric An ::rtn_metric.
 * @param from  Period start, ms.
 * @param to    Period end (exclusive), ms; `from <= to`.
 * @param every An ::rtn_every bucket size.
 * @param opts  Extra parameters, or NULL.
 * @return ::RTN_OK, ::RTN_ERANGE when cap < *n_out (nothing written; ask
 *         for the count with cap 0), ::RTN_EPERIOD for an unknown `every`,
 *         or the errors of ::rtn_query.
 */
RTN_API int rtn_query_series(rtn_value *out, size_t cap, size_t *n_out,
                             rtn_ctx *ctx, int metric, int64_t from,
                             int64_t to, int every, const rtn_query_opts *opts);
/** @} */

/* ------------------------------------------------------------------------ */
/** @name Benchmarks
 *  @{ */

/** Result of comparing a rate with a reference range. */
typedef enum rtn_bench_cmp {
    RTN_BENCH_BELOW = -1, /**< Below the range. */
    RTN_BENCH_WITHIN = 0, /**< Within the range (bounds included). */
    RTN_BENCH_ABOVE = 1   /**< Above the range. */
} rtn_bench_cmp;

/**
 * @brief The documented default reference range of a metric.
 *
 * The defaults (docs/benchmarks.md) are broad industry figures, for
 * example SaaS monthly churn 3-8 % and cart abandonment 65-75 % (about
 * 70 %). They suit monthly periods; set your own range for other periods.
 * @param lo     Receives the lower bound.
 * @param hi     Receives the upper bound.
 * @param metric An ::rtn_metric.
 * @return ::RTN_OK, ::RTN_EINVAL (NULL), or ::RTN_ENOTFOUND when the metric
 *         has no default.
 */
RTN_API int rtn_benchmark_default(double *lo, double *hi, int metric);

/**
 * @brief Compare a value with a reference range.
 * @param out Receives an ::rtn_bench_cmp: below lo, within [lo, hi]
 *            (bounds included) or above hi.
 * @param v   A query result (its `value`).
 * @param lo  Lower bound of the range.
 * @param hi  Upper bound of the range.
 * @return ::RTN_OK, ::RTN_EINVAL (NULL, NaN, lo > hi or an undefined value).
 */
RTN_API int rtn_benchmark_compare(int *out, const rtn_value *v, double lo,
                                  double hi);
/** @} */

/* ------------------------------------------------------------------------ */
/** @name Customers
 *  @{ */

/** NPS category of a customer's latest answer. */
typedef enum rtn_nps_category {
    RTN_NPS_NONE = 0,      /**< No answer yet. */
    RTN_NPS_DETRACTOR = 1, /**< 0..6. */
    RTN_NPS_PASSIVE = 2,   /**< 7..8. */
    RTN_NPS_PROMOTER = 3   /**< 9..10. */
} rtn_nps_category;

/** A customer reference for per-customer calls. Initialise with ::rtn_customer_init. */
typedef struct rtn_customer {
    uint32_t size;      /**< sizeof(rtn_customer). */
    uint32_t id_len;    /**< Bytes in id_str. */
    const char *id_str; /**< Byte-string id, or NULL. */
    uint64_t id;        /**< Numeric id (when id_str is NULL). */
} rtn_customer;

/** @brief Initialise a customer reference. @return ::RTN_OK or ::RTN_EINVAL. */
RTN_API int rtn_customer_init(rtn_customer *c, uint32_t size);

/**
 * @brief The NPS category of a customer's latest answer.
 *
 * "Latest" is by event time, whatever the order of pushing; among answers
 * at the same latest instant the lowest score counts, so the result depends
 * only on the set of events.
 * @param out Receives an ::rtn_nps_category (::RTN_NPS_NONE when the
 *            customer never answered).
 * @param ctx The context.
 * @param c   The customer.
 * @return ::RTN_OK, ::RTN_EINVAL, ::RTN_EID or ::RTN_ENOTFOUND (unknown customer).
 */
RTN_API int rtn_customer_nps_category(int *out, rtn_ctx *ctx,
                                      const rtn_customer *c);

/**
 * @brief A customer's health score (0..100) at instant `at`.
 *
 * Only events before `at` (in buckets before the bucket of `at`) count.
 * With the weights w of ::rtn_config.health:
 * `score = 100 * (wr R + wf F + wm M + ws S + wc C) / (wr + wf + wm + ws + wc)`:
 * - R (recency) = max(0, 1 - d / 90), d = days from the bucket of the last
 *   start event to the last bucket before `at` (0 without a start event);
 * - F (frequency) = min(1, purchases in the 365 days before `at` / 12);
 * - M (monetary) = min(1, log10(1 + spend) / 4), spend = those purchases
 *   times the customer's average order value over all its purchases
 *   (currency units): 0 at no spend, 0.5 at 99, 1 from 9999;
 * - S (satisfaction) = the latest NPS (score / 10) or CSAT ((score - min) /
 *   (max - min)) answer before `at`, the lowest at equal times; 0.5 without one;
 * - C (contacts) = 0 when a contact opened before `at` is neither resolved
 *   nor abandoned before `at`, else 1.
 * See docs/journey.md.
 * @param out Receives the score.
 * @param ctx The context.
 * @param c   The customer.
 * @param at  The instant, ms.
 * @return ::RTN_OK, ::RTN_EINVAL, ::RTN_EID, ::RTN_ETIME or ::RTN_ENOTFOUND.
 */
RTN_API int rtn_health_score(double *out, rtn_ctx *ctx, const rtn_customer *c,
                             int64_t at);

/** One entry of ::rtn_health_lowest. */
typedef struct rtn_health_entry {
    uint64_t id;        /**< Numeric id, when id_str is NULL. */
    const char *id_str; /**< Byte-string id (owned by the context, valid until the next push), or NULL. */
    uint32_t id_len;    /**< Bytes in id_str. */
    uint32_t reserved;  /**< Zero. */
    double score;       /**< Health score 0..100. */
} rtn_health_entry;

/**
 * @brief The `cap` customers active at `at` with the lowest health score
 *        (a retention team's call list).
 *
 * Equal scores are ordered by id: numeric ids first, ascending, then
 * string ids bytewise (a prefix first). Scans every customer: O(customers
 * and their state), plus O(cap) per customer that enters the list.
 * @param out   Array of cap entries, lowest first; may be NULL when cap is 0.
 * @param cap   Capacity of out.
 * @param n_out Receives the number written: min(cap, customers active at `at`).
 * @param ctx   The context.
 * @param at    The instant, ms.
 * @return ::RTN_OK, ::RTN_EINVAL, ::RTN_ETIME or ::RTN_ENOMEM.
 */
RTN_API int rtn_health_lowest(rtn_health_entry *out, size_t cap, size_t *n_out,
                              rtn_ctx *ctx, int64_t at);
/** @} */

/* ------------------------------------------------------------------------ */
/** @name Cohorts, survival
 *
 * Cohort matrices (::rtn_cohort_retention) and the survival curve
 * (::rtn_survival) are written into buffers the caller sizes; the lifecycle
 * counts are ordinary metrics (::RTN_METRIC_LIFECYCLE_NEW and the three
 * after it). All are kept up to date as events arrive; see docs/cohorts.md.
 *
 * "Active in a period" means, here, any event of the customer in that
 * period at or after its acquisition bucket (the bucket of its first start
 * event). Events of a customer before its acquisition (a prospect's page
 * views) and customers never acquired count in none of these results.
 *  @{ */

/** Largest number of columns (::rtn_cohort_opts.max_periods) of a matrix. */
#define RTN_COHORT_MAX_PERIODS 1024

/** Largest number of columns of a recurring matrix: each active period of a
 *  customer contributes a row membership, and each membership counts the
 *  next periods up to this horizon. */
#define RTN_COHORT_RECURRING_MAX 64

/** Cohort matrix modes. */
typedef enum rtn_cohort_mode {
    RTN_COHORT_N_PERIOD = 0, /**< Column k: share of the cohort active in exactly period k. */
    RTN_COHORT_UNBOUNDED = 1 /**< Column k: share of the cohort active in period k or any later one. */
} rtn_cohort_mode;

/**
 * @brief Cohort matrix options. Initialise with ::rtn_cohort_opts_init.
 *
 * Periods are ISO weeks (Monday to Sunday) or calendar months of the
 * context's local day. Row r is the cohort of period P0 + r, where P0 is
 * the period containing `from`; rows run while the period starts before
 * `to`. `from`, `to` and `at` are floored to the context's resolution.
 *
 * By first acquisition (`recurring` = 0), a customer belongs to one row:
 * the period of its first acquisition. Recurring (`recurring` = 1, the
 * "recurring" retention of product-analytics tools), a customer belongs to
 * the row of every period in which it is active (from its acquisition
 * period on), and each membership is followed independently.
 */
typedef struct rtn_cohort_opts {
    uint32_t size;       /**< sizeof(rtn_cohort_opts), set by ::rtn_cohort_opts_init. */
    int32_t every;       /**< ::RTN_EVERY_WEEK (default) or ::RTN_EVERY_MONTH; others give ::RTN_EPERIOD. */
    int32_t mode;        /**< ::rtn_cohort_mode; default ::RTN_COHORT_N_PERIOD. */
    int32_t recurring;   /**< 0: cohorts by first acquisition (default); 1: every active period starts a row membership. */
    int64_t from;        /**< First cohort: the one containing this instant (ms); default 0. */
    int64_t to;          /**< Cohorts starting before this instant (ms); `from <= to`; default 0. */
    int64_t at;          /**< Query instant (ms), normally "now": a cell is complete when its period ended at or before it; default 0. */
    uint32_t max_periods;/**< Columns k = 0 .. max_periods - 1; 1..::RTN_COHORT_MAX_PERIODS (..::RTN_COHORT_RECURRING_MAX when recurring); default 12. */
    uint32_t reserved;   /**< Must be zero. */
} rtn_cohort_opts;

/** The current size of ::rtn_cohort_opts. */
#define RTN_COHORT_OPTS_VERSION ((uint32_t)sizeof(rtn_cohort_opts))

/**
 * @brief Initialise cohort options with the defaults (weekly, N-period, by
 *        first acquisition, 12 columns; from, to and at are 0 and must be set).
 * @param opts The options.
 * @param size sizeof(rtn_cohort_opts) (::RTN_COHORT_OPTS_VERSION).
 * @return ::RTN_OK or ::RTN_EINVAL.
 */
RTN_API int rtn_cohort_opts_init(rtn_cohort_opts *opts, uint32_t size);

/**
 * @brief One cell of a cohort matrix: cohort r (row), period k after it (column).
 *
 * The matrix counts every event pushed so far; `at` only decides which
 * cells are complete. A cell whose period c + k has not ended at `at` is
 * marked incomplete (`complete` = 0): its share is what has been seen so
 * far, not a final value, and must not be read as a fall in retention.
 * In the unbounded mode the same rule applies: the cell of an ended period
 * already counts every customer active in it, so it is not too low for
 * that period, but it still rises when customers of the cohort come back
 * later (that is what "k or later" means); a not-yet-ended one is marked
 * incomplete.
 */
typedef struct rtn_cohort_cell {
    double share;       /**< active / cohort size * 100; NaN when the cohort is empty. */
    int64_t active;     /**< Customers (memberships, when recurring) of the cohort counted in this cell. */
    int32_t complete;   /**< 1 when period c + k has fully elapsed at `at`, else 0. */
    int32_t reserved;   /**< Zero. */
} rtn_cohort_cell;

/**
 * @brief Compute a cohort retention matrix into caller buffers.
 *
 * To learn the number of rows first, pass `rows_cap` 0 (and NULL buffers):
 * `*rows_out` is set and the call returns ::RTN_ERANGE (::RTN_OK when there
 * are no rows). Nothing is allocated for the caller. In N-period mode by
 * first acquisition, column 0 of every non-empty row is 100 % (the
 * acquisition is itself an event of period 0). The time taken does not
 * depend on the number of customers: O(rows * max_periods) reads of
 * counters kept per (cohort, offset) as events arrive.
 * @param cells    rows_cap * max_periods cells, row-major; may be NULL when rows_cap is 0.
 * @param starts   rows_cap cohort period start times (ms, UTC), or NULL.
 * @param sizes    rows_cap cohort sizes (customers, or memberships when recurring), or NULL.
 * @param rows_cap Capacity in rows.
 * @param rows_out Receives the number of rows (also when rows_cap is too small).
 * @param ctx      The context.
 * @param opts     The options (::rtn_cohort_opts_init).
 * @return ::RTN_OK; ::RTN_ERANGE when rows_cap < *rows_out (nothing written);
 *         ::RTN_EINVAL (NULL, bad size, mode, recurring or max_periods);
 *         ::RTN_EPERIOD (every not week or month, from > to); ::RTN_ETIME.
 */
RTN_API int rtn_cohort_retention(rtn_cohort_cell *cells, int64_t *starts,
                                 int64_t *sizes, size_t rows_cap,
                                 size_t *rows_out, rtn_ctx *ctx,
                                 const rtn_cohort_opts *opts);

/** One step of a Kaplan-Meier curve: a lifetime at which losses occur. */
typedef struct rtn_survival_point {
    double t_days;      /**< Lifetime in days (buckets / buckets per day) at which losses occur. */
    int64_t at_risk;    /**< n: customers whose lifetime or censoring time is t or more. */
    int64_t events;     /**< d: first losses at lifetime t. */
    double s;           /**< S(t) = product over t_i <= t of (1 - d_i / n_i). */
    double lo;          /**< Lower 95 % band: S - 1.959964 * sqrt(V), clamped to [0, 1]. */
    double hi;          /**< Upper 95 % band: S + 1.959964 * sqrt(V), clamped to [0, 1]. */
} rtn_survival_point;

/**
 * @brief Kaplan-Meier curve of customer lifetime at instant `at`.
 *
 * A customer's lifetime runs from its first acquisition to its first loss
 * (explicit churn, last subscription ended, or inactivity window), in
 * buckets. Customers acquired before `at` enter; those not lost before
 * `at` are censored at `at`. A loss and a censoring at the same lifetime:
 * the censored customer is still at risk at that time. The bands use
 * Greenwood's variance V = S^2 * sum d_i / (n_i (n_i - d_i)) in the plain
 * (linear) form; once S reaches 0 they are [0, 0] (the limit of V).
 * Cost: one pass over the distinct (acquisition, loss) pairs plus a sort.
 * @param points      Array of cap points, by increasing lifetime (may be NULL when cap is 0).
 * @param cap         Capacity of points.
 * @param n_out       Receives the number of points (also when cap is too small).
 * @param median_days Receives the median lifetime: the smallest t with S(t) <= 0.5, NaN
 *                    when the curve never falls to 0.5; may be NULL.
 * @param ctx         The context.
 * @param at          The query instant (ms), floored to the resolution.
 * @return ::RTN_OK; ::RTN_ERANGE when cap < *n_out (nothing else written);
 *         ::RTN_EINVAL, ::RTN_ETIME, ::RTN_ENOMEM (temporary space).
 */
RTN_API int rtn_survival(rtn_survival_point *points, size_t cap, size_t *n_out,
                         double *median_days, rtn_ctx *ctx, int64_t at);
/** @} */

/* ------------------------------------------------------------------------ */
/** @name Snapshots and merge
 *  A snapshot is a versioned, checksummed, little-endian byte stream (the
 *  format is described in docs/snapshots.md). It holds the configuration
 *  (except the allocator and memory cap), every customer and every
 *  accumulator's raw state, so a loaded context answers every query exactly
 *  as the saved one and keeps accepting events. Loaders read every older
 *  format version. A corrupt, truncated or crafted snapshot is refused with
 *  ::RTN_EFORMAT (or ::RTN_EVERSION), never a crash, and never makes the
 *  library allocate more than the snapshot's own bytes justify.
 *  @{ */

/** Write callback: write all `len` bytes; return 0 on success, non-zero on failure. */
typedef int (*rtn_write_fn)(const void *data, size_t len, void *user);

/** Read callback: read up to `len` bytes; return bytes read (0 at end), negative on failure. */
typedef int64_t (*rtn_read_fn)(void *data, size_t len, void *user);

/**
 * @brief Save a context through a write callback.
 *
 * The context is walked twice (once to measure, once to write); the callback
 * receives the bytes in order, in chunks of at most 4 KiB. The snapshot
 * records ::rtn_stats `events` and `last_time`: a host replaying an event log
 * resumes after the events the snapshot holds.
 * @return ::RTN_OK, ::RTN_EIO (the callback failed), ::RTN_ENOMEM, ::RTN_EINVAL.
 */
RTN_API int rtn_snapshot_save(rtn_ctx *ctx, rtn_write_fn write, void *user);

/**
 * @brief Save a context to a file atomically.
 *
 * Writes `path.tmp-XXXXXX` in the same directory (mode 0600), fsyncs it,
 * renames it over `path` and fsyncs the directory. A process killed at any
 * moment leaves either the previous file or the new one at `path`, never a
 * mix; it may leave a stray `path.tmp-XXXXXX`, which is safe to delete.
 * @return ::RTN_OK, ::RTN_EIO (with the system's reason in
 *         ::rtn_ctx_last_error), ::RTN_ENOMEM, ::RTN_EINVAL.
 */
RTN_API int rtn_snapshot_save_file(rtn_ctx *ctx, const char *path);

/**
 * @brief Load a snapshot into a new context.
 *
 * Reads exactly the snapshot's bytes (its header gives the length) into a
 * buffer that grows only as bytes arrive, verifies the checksums, then
 * parses with every count checked against the bytes left.
 * @param out Receives the context (NULL on failure).
 * @param cfg Only its allocator and memory cap are used (the metric settings
 *            come from the snapshot); may be NULL. The buffer is allocated with
 *            that allocator and checked against the cap on its own.
 * @param read  Read callback.
 * @param user  Passed to the callback.
 * @return ::RTN_OK, ::RTN_EFORMAT, ::RTN_EVERSION, ::RTN_EIO, ::RTN_ENOMEM, ::RTN_EINVAL.
 */
RTN_API int rtn_snapshot_load(rtn_ctx **out, const rtn_config *cfg,
                              rtn_read_fn read, void *user);

/** @brief Load a snapshot file into a new context; see ::rtn_snapshot_load.
 *  @return As ::rtn_snapshot_load; ::RTN_EIO when the file cannot be opened. */
RTN_API int rtn_snapshot_load_file(rtn_ctx **out, const rtn_config *cfg,
                                   const char *path);

/**
 * @brief Load a snapshot held in memory, without copying it.
 * @param out  Receives the context (NULL on failure).
 * @param cfg  As for ::rtn_snapshot_load.
 * @param data The snapshot's bytes.
 * @param len  Exactly the snapshot's length (trailing bytes are refused).
 * @return As ::rtn_snapshot_load (no ::RTN_EIO).
 */
RTN_API int rtn_snapshot_load_buffer(rtn_ctx **out, const rtn_config *cfg,
                                     const void *data, size_t len);

/**
 * @brief Fold `src` into `dst`: afterwards `dst` answers as if it had been
 *        fed both event streams. `src` answers as before.
 *
 * For any split of an event stream into parts, the same customer in several
 * parts included, merging the parts' contexts gives exactly the context of
 * the whole stream: shard ingestion by customer over threads or machines and
 * merge. `src` may apply its pending changes (pushes are applied by the
 * next reading call, and a merge reads `src`): nothing it answers changes,
 * but the memory it reports may. The result is built in a private copy of
 * `dst` (same allocator and cap; it shares `dst`'s customers' day entries
 * instead of copying them) and swapped in; on any failure `dst` is
 * unchanged. The cost is copying `dst`'s accumulators and `src`'s customers
 * and state, plus regenerating the customers present in both contexts:
 * with customers sharded, only copying.
 * `dst` and `src` may be the same context (every event counted twice).
 * @return ::RTN_OK, ::RTN_EMISMATCH (different resolution, day offset,
 *         inactivity, loyalty, scales, margin, value event or health
 *         weights), ::RTN_ENOMEM (dst unchanged), ::RTN_ERANGE (a purchase
 *         counter would overflow; dst unchanged), ::RTN_EINVAL.
 */
RTN_API int rtn_ctx_merge(rtn_ctx *dst, const rtn_ctx *src);
/** @} */

/* ------------------------------------------------------------------------ */
/** @name ABI introspection
 *  Facts about the library actually loaded, for bindings that mirror the
 *  public structs and enums in another language (Python's ctypes, cffi,
 *  JNA, ...). A binding checks its mirrors against these when it loads the
 *  library and refuses to run on a mismatch, instead of trusting that the
 *  header it was written against matches the library it found. Every value
 *  comes from the library's own tables (the status messages, the event type
 *  names, the metric catalogue) or from `sizeof` at the library's build.
 *  @{ */

/** The public structs, for ::rtn_struct_size. Values never change. */
typedef enum rtn_abi_struct {
    RTN_STRUCT_CONFIG = 1,          /**< ::rtn_config. */
    RTN_STRUCT_ALLOCATOR = 2,       /**< ::rtn_allocator. */
    RTN_STRUCT_HEALTH_WEIGHTS = 3,  /**< ::rtn_health_weights. */
    RTN_STRUCT_STATS = 4,           /**< ::rtn_stats. */
    RTN_STRUCT_EVENT = 5,           /**< ::rtn_event. */
    RTN_STRUCT_METRIC_INFO = 6,     /**< ::rtn_metric_info. */
    RTN_STRUCT_VALUE = 7,           /**< ::rtn_value. */
    RTN_STRUCT_QUERY_OPTS = 8,      /**< ::rtn_query_opts. */
    RTN_STRUCT_CUSTOMER = 9,        /**< ::rtn_customer. */
    RTN_STRUCT_HEALTH_ENTRY = 10,   /**< ::rtn_health_entry. */
    RTN_STRUCT_COHORT_OPTS = 11,    /**< ::rtn_cohort_opts. */
    RTN_STRUCT_COHORT_CELL = 12,    /**< ::rtn_cohort_cell. */
    RTN_STRUCT_SURVIVAL_POINT = 13  /**< ::rtn_survival_point. */
} rtn_abi_struct;

/**
 * @brief The size in bytes of a public struct, as the library was built.
 *
 * For a versioned struct (one whose first field is `size`) this is the
 * size its `*_init` function expects: a binding whose mirror has another
 * size was written for another version of the header.
 * @param out   Receives sizeof the struct.
 * @param which An ::rtn_abi_struct.
 * @return ::RTN_OK, or ::RTN_EINVAL when out is NULL or `which` is unknown
 *         (then `*out` is unchanged).
 */
RTN_API int rtn_struct_size(size_t *out, int which);

/** The public enums, for ::rtn_enum_range. Values never change. */
typedef enum rtn_abi_enum {
    RTN_ENUM_STATUS = 1,        /**< ::rtn_status: codes with a message of their own, 0 down to the lowest. */
    RTN_ENUM_RESOLUTION = 2,    /**< ::rtn_resolution. */
    RTN_ENUM_EVENT_TYPE = 3,    /**< ::rtn_event_type: the types ::rtn_push accepts (each has a name). */
    RTN_ENUM_METRIC = 4,        /**< ::rtn_metric: the catalogue ::rtn_metric_next walks (banded, so not contiguous). */
    RTN_ENUM_METRIC_FLAG = 5,   /**< ::rtn_metric_flag: one value per bit, lowest and highest bit. */
    RTN_ENUM_EVERY = 6,         /**< ::rtn_every. */
    RTN_ENUM_BENCH_CMP = 7,     /**< ::rtn_bench_cmp. */
    RTN_ENUM_NPS_CATEGORY = 8,  /**< ::rtn_nps_category. */
    RTN_ENUM_COHORT_MODE = 9,   /**< ::rtn_cohort_mode. */
    RTN_ENUM_ABI_STRUCT = 10,   /**< ::rtn_abi_struct: the structs ::rtn_struct_size knows. */
    RTN_ENUM_ABI_ENUM = 11      /**< ::rtn_abi_enum: the enums this call knows. */
} rtn_abi_enum;

/**
 * @brief The values of a public enum that this library knows.
 *
 * `count` is the number of distinct values, `lo` the lowest and `hi` the
 * highest. Where `count == hi - lo + 1` every value in between is valid
 * (event types 1 .. 19, status codes ::RTN_EQUANTITY .. ::RTN_OK); metrics
 * are numbered in bands and are enumerated with ::rtn_metric_next, metric
 * flags are single bits. A later minor version may raise `count` and
 * widen the range, never narrow it.
 * @param count Receives the number of values.
 * @param lo    Receives the lowest value.
 * @param hi    Receives the highest value.
 * @param which An ::rtn_abi_enum.
 * @return ::RTN_OK, or ::RTN_EINVAL when a pointer is NULL or `which` is
 *         unknown (then nothing is written).
 */
RTN_API int rtn_enum_range(int *count, int *lo, int *hi, int which);
/** @} */

#ifdef __cplusplus
}
#endif

#endif /* RETENTION_H */
