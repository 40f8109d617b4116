import type { Knex } from 'knex';

/** The roles students prepare for; the first backend's catalogue had about forty. */
export const demoAreaNames = [
  'FMCG Sales',
  'Equity Research',
  'Digital Marketing',
  'Product Management',
  'Consulting',
  'Investment Banking',
  'Corporate Finance',
  'Brand Management',
  'Business Analytics',
  'Data Science',
  'Supply Chain Management',
  'Operations',
  'Human Resources',
  'Private Equity',
  'Venture Capital',
  'Risk Management',
  'Credit Analysis',
  'Wealth Management',
  'Retail Banking',
  'Insurance',
  'Strategy',
  'Market Research',
  'Sales Management',
  'Key Account Management',
  'E-commerce',
  'Growth Marketing',
  'Content Marketing',
  'Public Relations',
  'Project Management',
  'Software Engineering',
  'UX Design',
  'Business Development',
  'Procurement',
  'Logistics',
  'Healthcare Management',
  'Real Estate',
  'Treasury',
  'Financial Planning and Analysis',
  'Customer Success',
  'Entrepreneurship',
] as const;

type DemoWindow = readonly [weekdays: readonly number[], start: string, end: string];

const weekdayEvenings: DemoWindow = [[1, 2, 3, 4, 5], '19:00', '23:00'];
const earlyEvenings: DemoWindow = [[1, 2, 3, 4, 5], '18:00', '21:00'];
const weekendMornings: DemoWindow = [[6, 7], '10:00', '13:00'];
const lateEvenings: DemoWindow = [[2, 4, 6], '20:00', '23:30'];

interface DemoMentor {
  name: string;
  headline: string;
  areas: readonly string[];
  premium: boolean;
  windows: readonly DemoWindow[];
}

export const demoMentors: readonly DemoMentor[] = [
  {
    name: 'Ananya Iyer',
    headline: 'Area Sales Manager, FMCG',
    areas: ['FMCG Sales', 'Sales Management'],
    premium: false,
    windows: [weekdayEvenings],
  },
  {
    name: 'Rohan Mehta',
    headline: 'Equity Research Associate',
    areas: ['Equity Research', 'Corporate Finance'],
    premium: false,
    windows: [weekdayEvenings],
  },
  {
    name: 'Priya Nair',
    headline: 'VP, Equity Research',
    areas: ['Equity Research', 'Investment Banking', 'Private Equity'],
    premium: true,
    windows: [lateEvenings],
  },
  {
    name: 'Karthik Rao',
    headline: 'Performance Marketing Lead',
    areas: ['Digital Marketing', 'Growth Marketing'],
    premium: false,
    windows: [weekdayEvenings, weekendMornings],
  },
  {
    name: 'Sneha Kulkarni',
    headline: 'Senior Product Manager',
    areas: ['Product Management', 'UX Design'],
    premium: false,
    windows: [earlyEvenings],
  },
  {
    name: 'Vikram Singh',
    headline: 'Engagement Manager, Strategy Consulting',
    areas: ['Consulting', 'Strategy'],
    premium: false,
    windows: [weekdayEvenings],
  },
  {
    name: 'Meera Pillai',
    headline: 'Partner, Management Consulting',
    areas: ['Consulting', 'Strategy', 'Operations'],
    premium: true,
    windows: [weekendMornings, lateEvenings],
  },
  {
    name: 'Arjun Desai',
    headline: 'Regional Sales Head, FMCG',
    areas: ['FMCG Sales', 'Key Account Management'],
    premium: false,
    windows: [earlyEvenings],
  },
  {
    name: 'Divya Menon',
    headline: 'Brand Manager',
    areas: ['Brand Management', 'Digital Marketing', 'Market Research'],
    premium: false,
    windows: [weekdayEvenings],
  },
  {
    name: 'Siddharth Joshi',
    headline: 'Product Lead, Fintech',
    areas: ['Product Management', 'Business Analytics'],
    premium: false,
    windows: [weekdayEvenings],
  },
  {
    name: 'Kavya Reddy',
    headline: 'Data Scientist',
    areas: ['Data Science', 'Business Analytics'],
    premium: false,
    windows: [earlyEvenings, weekendMornings],
  },
  {
    name: 'Aditya Bose',
    headline: 'Director, Investment Banking',
    areas: ['Investment Banking', 'Corporate Finance', 'Equity Research'],
    premium: true,
    windows: [weekendMornings],
  },
  {
    name: 'Nisha Verma',
    headline: 'Supply Chain Manager',
    areas: ['Supply Chain Management', 'Procurement', 'Logistics'],
    premium: false,
    windows: [weekdayEvenings],
  },
  {
    name: 'Rahul Gupta',
    headline: 'HR Business Partner',
    areas: ['Human Resources', 'Operations'],
    premium: false,
    windows: [earlyEvenings],
  },
  {
    name: 'Pooja Shah',
    headline: 'Digital Marketing Manager',
    areas: ['Digital Marketing', 'Content Marketing', 'E-commerce'],
    premium: false,
    windows: [weekdayEvenings],
  },
  {
    name: 'Manish Agarwal',
    headline: 'Principal, Venture Capital',
    areas: ['Venture Capital', 'Private Equity', 'Entrepreneurship'],
    premium: true,
    windows: [lateEvenings],
  },
  {
    name: 'Ishita Banerjee',
    headline: 'Credit Risk Analyst',
    areas: ['Risk Management', 'Credit Analysis', 'Retail Banking'],
    premium: false,
    windows: [weekdayEvenings],
  },
  {
    name: 'Varun Khanna',
    headline: 'Consultant, Big Four',
    areas: ['Consulting', 'Financial Planning and Analysis'],
    premium: false,
    windows: [earlyEvenings],
  },
  {
    name: 'Tanvi Chatterjee',
    headline: 'Group Product Manager',
    areas: ['Product Management', 'Customer Success'],
    premium: true,
    windows: [weekdayEvenings],
  },
  {
    name: 'Harsh Malhotra',
    headline: 'Key Account Manager, FMCG',
    areas: ['FMCG Sales', 'Business Development'],
    premium: false,
    windows: [weekdayEvenings, weekendMornings],
  },
];

export const demoStudents = [
  { name: 'Aarav Sharma', email: 'aarav.sharma@example.com', area: 'Equity Research' },
  { name: 'Diya Patel', email: 'diya.patel@example.com', area: 'FMCG Sales' },
  { name: 'Kabir Jain', email: 'kabir.jain@example.com', area: 'Product Management' },
  { name: 'Saanvi Das', email: 'saanvi.das@example.com', area: 'Consulting' },
  { name: 'Vihaan Kapoor', email: 'vihaan.kapoor@example.com', area: 'Digital Marketing' },
] as const;

/** Published with the demo data (README, start-up log): never load the demo catalogue in production. */
export const DEMO_PASSWORD = 'demo-password';
export const DEMO_ADMIN_EMAIL = 'admin@example.com';

export function demoMentorEmail(name: string): string {
  return `${name.toLowerCase().replace(/[^a-z]+/g, '.')}@mentors.example.com`;
}

export function slugify(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

function minutesOf(hhmm: string): number {
  const [hours, minutes] = hhmm.split(':').map(Number);
  return (hours ?? 0) * 60 + (minutes ?? 0);
}

/**
 * Loads the demo catalogue into an empty database (no areas yet). Returns false and changes nothing
 * when the database already holds data, so restarts never duplicate or reset anything.
 */
/**
 * Loads the demo catalogue into an empty database. `demoPasswordHash` present: with the demo
 * accounts, which all share the published DEMO_PASSWORD (never in production); absent: areas,
 * mentors and students only, and nobody can log in as them.
 */
export async function seedDemoCatalogue(
  knex: Knex,
  timezone: string,
  demoPasswordHash: (() => Promise<string>) | null,
  now = Date.now(),
): Promise<boolean> {
  // Hashing is slow on purpose; it happens only when there is something to seed.
  const existing = await knex('areas').count({ count: '*' }).first();
  if (Number(existing?.count ?? 0) > 0) return false;
  // Every demo account shares the published demo password, so one hash serves them all.
  const passwordHash = demoPasswordHash ? await demoPasswordHash() : null;
  return knex.transaction(async (trx) => {
    // Several processes may start on one empty database: the first to lock seeds, the others then see
    // its rows and do nothing (SQLite: BEGIN IMMEDIATE already serialises these transactions).
    if (trx.client.config.client === 'pg') await trx.raw('LOCK TABLE areas IN EXCLUSIVE MODE');
    const existing = await trx('areas').count({ count: '*' }).first();
    if (Number(existing?.count ?? 0) > 0) return false;

    await trx('areas').insert(demoAreaNames.map((name) => ({ name, slug: slugify(name) })));
    const areaIdByName = new Map(
      (await trx('areas').select('id', 'name')).map((row: { id: number; name: string }) => [
        row.name,
        row.id,
      ]),
    );
    const timestamp = new Date(now);
    for (const mentor of demoMentors) {
      const [inserted] = await trx('mentors')
        .insert({
          name: mentor.name,
          headline: mentor.headline,
          is_premium: mentor.premium,
          timezone,
          created_at: timestamp,
          updated_at: timestamp,
        })
        .returning('id');
      const mentorId = typeof inserted === 'object' ? inserted.id : inserted;
      if (passwordHash) {
        await trx('accounts').insert({
          email: demoMentorEmail(mentor.name),
          email_normalized: demoMentorEmail(mentor.name),
          password_hash: passwordHash,
          role: 'mentor',
          mentor_id: mentorId,
          created_at: timestamp,
        });
      }
      await trx('mentor_areas').insert(
        mentor.areas.map((area) => ({ mentor_id: mentorId, area_id: areaIdByName.get(area) })),
      );
      await trx('availability_windows').insert(
        mentor.windows.flatMap(([weekdays, start, end]) =>
          weekdays.map((weekday) => ({
            mentor_id: mentorId,
            weekday,
            start_minute: minutesOf(start),
            end_minute: minutesOf(end),
          })),
        ),
      );
    }
    await trx('students').insert(
      demoStudents.map((student) => ({
        name: student.name,
        email: student.email,
        email_normalized: student.email.toLowerCase(),
        timezone,
        area_of_interest_id: areaIdByName.get(student.area) ?? null,
        created_at: timestamp,
        updated_at: timestamp,
      })),
    );
    if (!passwordHash) return true;
    const students: { id: number; email: string }[] = await trx('students').select('id', 'email');
    await trx('accounts').insert([
      {
        email: DEMO_ADMIN_EMAIL,
        email_normalized: DEMO_ADMIN_EMAIL,
        password_hash: passwordHash,
        role: 'admin',
        created_at: timestamp,
      },
      ...students.map((student) => ({
        email: student.email,
        email_normalized: student.email.toLowerCase(),
        password_hash: passwordHash,
        role: 'student',
        student_id: student.id,
        created_at: timestamp,
      })),
    ]);
    return true;
  });
}

/** Whether any of the demo accounts, whose password is published, exists in this database. */
export async function hasDemoAccounts(knex: Knex): Promise<boolean> {
  const emails = [
    DEMO_ADMIN_EMAIL,
    ...demoStudents.map((student) => student.email.toLowerCase()),
    ...demoMentors.map((mentor) => demoMentorEmail(mentor.name)),
  ];
  return (await knex('accounts').whereIn('email_normalized', emails).first('id')) !== undefined;
}
