"""The statements that build the dashboard's daily roll-ups from the raw rows, for a range of days.

Each is an INSERT ... SELECT over the rows of [%(start)s, %(end)s) (the range's first midnight to the midnight after
its last day, in %(tz)s); the caller deletes the range's old rows first, in the same transaction. The definitions
of the numbers live here once: the dashboard only adds these rows up.
"""

from __future__ import annotations

from compliance.selectors_attempts import COUNTED_ATTEMPT_SQL, counted_attempt_sql

# `waits`: seconds to first contact by bucket (dashboards.metrics.WAIT_BUCKETS: a second wide under a minute, 5 s
# under ten minutes, 30 s under an hour, 5 minutes under a day, then an hour), keyed by the bucket's lower bound.
# The median is read from these. A call "reached" the customer when its disposition is one of
# dashboards.metrics.SPOKEN_DISPOSITIONS. An attempt counts as compliance.selectors_attempts defines it
# ({counted}, filled in below), as on every other screen. Speed to lead is timed twice: from when the cart became
# workable (the queue's clock: `within_5`, `within_30`, the waits) and from the shopper's last activity, which is
# when the cart was abandoned (`active_within_5`, `active_within_30`: what the shopper lived through, the store's
# abandonment delay included). `worked`: carts with at least one attempt (attempts per cart worked).
CARTS = """
INSERT INTO dashboards_cartsbyday (day, store_id, route, in_control_group, agent_id, carts, recovered,
    recovered_value, upsell_value, value_after_contact, timed, within_5, within_30, waits, attempts,
    attempts_before_order, contacted_voice, contacted_sms, contacted_email, converted_voice, converted_sms,
    converted_email, abandoned_value, worked, active_within_5, active_within_30)
WITH cohort AS (
    SELECT id, (abandoned_at AT TIME ZONE %(tz)s)::date AS day, store_id, route, in_control_group,
           status = 'recovered' AS won, coalesce(recovered_value, 0) AS recovered_value, total_value,
           coalesce(upsell_value, 0) AS upsell_value, attribution, recovered_channel, recovered_at,
           route = 'call_first' AND workable_since IS NOT NULL AND NOT in_control_group AS timed,
           CASE WHEN first_attempt_at IS NOT NULL
                THEN greatest(0, extract(epoch FROM first_attempt_at - workable_since)) END AS wait,
           CASE WHEN first_attempt_at IS NOT NULL
                THEN greatest(0, extract(epoch FROM first_attempt_at - abandoned_at)) END AS since_activity
    FROM recovery_cart
    WHERE abandoned_at >= %(start)s AND abandoned_at < %(end)s
),
-- LATERAL: each cohort cart's attempts by the attempts' cart index, never a scan of every attempt (a day's
-- refresh reads a few thousand carts).
sent AS (
    SELECT cohort.id AS cart_id, attempt.agent_id, attempt.channel,
           cohort.won AND attempt.at <= cohort.recovered_at AS before_order
    FROM cohort CROSS JOIN LATERAL (
        SELECT attempt.agent_id, attempt.channel, attempt.at FROM compliance_contactattempt AS attempt
        WHERE attempt.cart_id = cohort.id AND {counted}) AS attempt
),
everyone AS (
    SELECT cart_id, count(*) AS attempts, count(*) FILTER (WHERE before_order) AS before_order,
           bool_or(channel = 'voice') AS voice, bool_or(channel = 'sms') AS sms, bool_or(channel = 'email') AS email
    FROM sent GROUP BY cart_id
),
mine AS (
    SELECT cart_id, agent_id, count(*) AS attempts, count(*) FILTER (WHERE before_order) AS before_order
    FROM sent WHERE agent_id IS NOT NULL GROUP BY cart_id, agent_id
),
scoped AS (
    SELECT cohort.*, 0 AS agent_id, coalesce(everyone.attempts, 0) AS attempts,
           coalesce(everyone.before_order, 0) AS before_order, coalesce(everyone.voice, false) AS voice,
           coalesce(everyone.sms, false) AS sms, coalesce(everyone.email, false) AS email
    FROM cohort LEFT JOIN everyone ON everyone.cart_id = cohort.id
    UNION ALL
    SELECT cohort.*, mine.agent_id, mine.attempts, mine.before_order, everyone.voice, everyone.sms, everyone.email
    FROM mine JOIN cohort ON cohort.id = mine.cart_id JOIN everyone ON everyone.cart_id = mine.cart_id
),
waits AS (
    SELECT day, store_id, route, in_control_group, agent_id, jsonb_object_agg(bucket, carts) AS waits
    FROM (SELECT day, store_id, route, in_control_group, agent_id,
                 (CASE WHEN wait < 60 THEN floor(wait) WHEN wait < 600 THEN floor(wait / 5) * 5
                       WHEN wait < 3600 THEN floor(wait / 30) * 30 WHEN wait < 86400 THEN floor(wait / 300) * 300
                       ELSE floor(wait / 3600) * 3600 END)::bigint AS bucket, count(*) AS carts
          FROM scoped WHERE timed AND wait IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6) AS buckets
    GROUP BY 1, 2, 3, 4, 5
),
totals AS (
    SELECT day, store_id, route, in_control_group, agent_id, count(*) AS carts,
           count(*) FILTER (WHERE won) AS recovered,
           coalesce(sum(recovered_value) FILTER (WHERE won), 0) AS recovered_value,
           coalesce(sum(upsell_value) FILTER (WHERE won), 0) AS upsell_value,
           coalesce(sum(recovered_value) FILTER (WHERE won AND attribution = 'contacted'), 0) AS value_after_contact,
           count(*) FILTER (WHERE timed) AS timed, count(*) FILTER (WHERE timed AND wait <= 300) AS within_5,
           count(*) FILTER (WHERE timed AND wait <= 1800) AS within_30,
           sum(attempts) AS attempts, sum(before_order) AS attempts_before_order,
           count(*) FILTER (WHERE voice) AS contacted_voice, count(*) FILTER (WHERE sms) AS contacted_sms,
           count(*) FILTER (WHERE email) AS contacted_email,
           count(*) FILTER (WHERE voice AND won AND recovered_channel = 'voice') AS converted_voice,
           count(*) FILTER (WHERE sms AND won AND recovered_channel = 'sms') AS converted_sms,
           count(*) FILTER (WHERE email AND won AND recovered_channel = 'email') AS converted_email,
           coalesce(sum(total_value), 0) AS abandoned_value, count(*) FILTER (WHERE attempts > 0) AS worked,
           count(*) FILTER (WHERE timed AND since_activity <= 300) AS active_within_5,
           count(*) FILTER (WHERE timed AND since_activity <= 1800) AS active_within_30
    FROM scoped GROUP BY 1, 2, 3, 4, 5
)
SELECT totals.day, totals.store_id, totals.route, totals.in_control_group, totals.agent_id, carts, recovered,
       recovered_value, upsell_value, value_after_contact, timed, within_5, within_30,
       coalesce(waits.waits, '{}'::jsonb), attempts, attempts_before_order, contacted_voice, contacted_sms,
       contacted_email, converted_voice, converted_sms, converted_email, abandoned_value, worked, active_within_5,
       active_within_30
FROM totals LEFT JOIN waits USING (day, store_id, route, in_control_group, agent_id)
""".replace("{counted}", COUNTED_ATTEMPT_SQL)  # nosec B608: a constant condition, no input

# Built from the cart roll-up just rebuilt: its waits merged per store and for every store (GROUPING SETS).
WAITS = """
INSERT INTO dashboards_waitsbyday (day, store_id, agent_id, bounds, counts)
SELECT day, store_id, agent_id, array_agg(bound ORDER BY bound), array_agg(carts ORDER BY bound)
FROM (
    SELECT day, CASE WHEN GROUPING(store_id) = 1 THEN 0 ELSE store_id END AS store_id, agent_id,
           bucket.key::integer AS bound, sum(bucket.value::integer)::integer AS carts
    FROM dashboards_cartsbyday CROSS JOIN LATERAL jsonb_each_text(waits) AS bucket
    WHERE day >= %(first)s AND day <= %(last)s AND route = 'call_first' AND NOT in_control_group
    GROUP BY GROUPING SETS ((day, agent_id, bucket.key), (day, store_id, agent_id, bucket.key))
) AS merged
GROUP BY day, store_id, agent_id
"""

# An attempt counts as compliance.selectors_attempts defines it ({counted}); `not_sent` keeps the rest, which the
# team's cost is shared out by (the agent spent the time).
ATTEMPTS = """
INSERT INTO dashboards_attemptsbyday (day, store_id, route, channel, agent_id, attempts, reached, not_sent,
    carts_first_called)
SELECT (attempt.at AT TIME ZONE %(tz)s)::date, attempt.store_id, coalesce(cart.route, ''), attempt.channel,
       coalesce(attempt.agent_id, 0),
       count(*) FILTER (WHERE {counted}),
       count(*) FILTER (WHERE {counted} AND CASE attempt.channel
           WHEN 'voice' THEN attempt.outcome IN ('recovered', 'link_sent', 'callback', 'not_interested', 'do_not_call')
           WHEN 'sms' THEN attempt.provider_status IN ('delivered', 'read')
           WHEN 'email' THEN attempt.outcome IN ('sent', 'link_sent') ELSE false END),
       count(*) FILTER (WHERE NOT {counted}),
       count(*) FILTER (WHERE {counted} AND attempt.channel = 'voice'
           AND attempt.agent_id IS NOT NULL AND NOT EXISTS (
               SELECT 1 FROM compliance_contactattempt AS earlier
               WHERE earlier.cart_id = attempt.cart_id AND earlier.agent_id = attempt.agent_id
                 AND earlier.channel = 'voice' AND {counted_earlier}
                 AND (earlier.at, earlier.id) < (attempt.at, attempt.id)))
FROM compliance_contactattempt AS attempt LEFT JOIN recovery_cart AS cart ON cart.id = attempt.cart_id
WHERE attempt.at >= %(start)s AND attempt.at < %(end)s
GROUP BY 1, 2, 3, 4, 5
""".replace("{counted}", COUNTED_ATTEMPT_SQL).replace(  # nosec B608: constant conditions, no input
    "{counted_earlier}", counted_attempt_sql("earlier"))

CALLS = """
INSERT INTO dashboards_callsbyday (day, store_id, route, agent_id, dialed, step_2, step_3, step_4, step_5, recovered,
    handled, handle_seconds, reached, complete)
SELECT (call.opened_at AT TIME ZONE %(tz)s)::date, cart.store_id, cart.route, call.agent_id, count(*),
       count(*) FILTER (WHERE call.step_times ? '2'), count(*) FILTER (WHERE call.step_times ? '3'),
       count(*) FILTER (WHERE call.step_times ? '4'), count(*) FILTER (WHERE call.step_times ? '5'),
       count(*) FILTER (WHERE call.disposition = 'recovered'),
       count(call.wrapped_up_at), coalesce(sum(coalesce(call.talk_seconds + call.after_call_seconds,
           extract(epoch FROM call.wrapped_up_at - call.opened_at))), 0),
       count(*) FILTER (WHERE call.answer = 'reached'),
       count(*) FILTER (WHERE call.answer = 'reached' AND call.step_times ? '5')
FROM agents_call AS call JOIN recovery_cart AS cart ON cart.id = call.cart_id
WHERE call.opened_at >= %(start)s AND call.opened_at < %(end)s AND call.attempt_id IS NOT NULL
GROUP BY 1, 2, 3, 4
"""

FRICTIONS = """
INSERT INTO dashboards_frictionsbyday (day, store_id, agent_id, friction_id, found, resolved)
SELECT (call.opened_at AT TIME ZONE %(tz)s)::date, cart.store_id, call.agent_id, link.frictionreason_id, count(*),
       count(*) FILTER (WHERE call.resolved = 'yes')
FROM agents_call AS call JOIN agents_call_frictions AS link ON link.call_id = call.id
JOIN recovery_cart AS cart ON cart.id = call.cart_id
WHERE call.opened_at >= %(start)s AND call.opened_at < %(end)s
GROUP BY 1, 2, 3, 4
"""

OFFERS = """
INSERT INTO dashboards_offersbyday (day, store_id, agent_id, offer, offered, resolved)
SELECT (call.opened_at AT TIME ZONE %(tz)s)::date, cart.store_id, call.agent_id, offer.value, count(*),
       count(*) FILTER (WHERE call.resolved = 'yes')
FROM agents_call AS call JOIN recovery_cart AS cart ON cart.id = call.cart_id
CROSS JOIN LATERAL jsonb_array_elements_text(call.offered) AS offer (value)
WHERE call.opened_at >= %(start)s AND call.opened_at < %(end)s AND jsonb_typeof(call.offered) = 'array'
GROUP BY 1, 2, 3, 4
"""

RECOVERIES = """
INSERT INTO dashboards_recoveriesbyday (day, store_id, route, agent_id, recovered, value)
SELECT (recovered_at AT TIME ZONE %(tz)s)::date, store_id, route, recovered_by_id, count(*),
       coalesce(sum(recovered_value), 0)
FROM recovery_cart
WHERE status = 'recovered' AND recovered_at >= %(start)s AND recovered_at < %(end)s AND recovered_by_id IS NOT NULL
GROUP BY 1, 2, 3, 4
"""

# A status lasts until the next change, a shift at most (a session that expired unseen), or `now`.
DUTY = """
INSERT INTO dashboards_dutybyday (day, agent_id, seconds)
WITH stretches AS (
    SELECT agent_id, status, at,
           least(coalesce(lead(at) OVER (PARTITION BY agent_id ORDER BY at, id), %(now)s), at + %(shift)s,
                 %(now)s) AS until
    FROM agents_agentstatuschange WHERE at >= %(start)s::timestamptz - %(shift)s
),
days AS (
    SELECT day::date AS day, day::timestamp AT TIME ZONE %(tz)s AS day_start,
           (day + interval '1 day')::timestamp AT TIME ZONE %(tz)s AS day_end
    FROM generate_series(%(first)s::date, %(last)s::date, interval '1 day') AS day
)
SELECT days.day, stretches.agent_id,
       sum(extract(epoch FROM least(stretches.until, days.day_end) - greatest(stretches.at, days.day_start)))
FROM stretches JOIN days ON stretches.at < days.day_end AND stretches.until > days.day_start
WHERE stretches.status <> 'away'
GROUP BY 1, 2
"""

# (table, statement) in the order they are rebuilt.
ROLLUPS = (
    ("dashboards_cartsbyday", CARTS),
    ("dashboards_waitsbyday", WAITS),
    ("dashboards_attemptsbyday", ATTEMPTS),
    ("dashboards_callsbyday", CALLS),
    ("dashboards_frictionsbyday", FRICTIONS),
    ("dashboards_offersbyday", OFFERS),
    ("dashboards_recoveriesbyday", RECOVERIES),
    ("dashboards_dutybyday", DUTY),
)
