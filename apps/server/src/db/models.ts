import { Model, type RelationMappings } from 'objection';

/**
 * Objection models. Only services/ and db/ import this file: the rest of the server sees plain
 * domain data, so the ORM can change without touching the API or the scheduling rules.
 */

export class AreaModel extends Model {
  static override tableName = 'areas';
  id!: number;
  name!: string;
  slug!: string;
}

export class MentorModel extends Model {
  static override tableName = 'mentors';
  id!: number;
  name!: string;
  headline!: string | null;
  is_premium!: boolean | number;
  timezone!: string;
  buffer_minutes!: number;
  max_sessions_per_day!: number | null;
  created_at!: Date | number;
  updated_at!: Date | number;
  areas?: AreaModel[];

  static override get relationMappings(): RelationMappings {
    return {
      areas: {
        relation: Model.ManyToManyRelation,
        modelClass: AreaModel,
        join: {
          from: 'mentors.id',
          through: { from: 'mentor_areas.mentor_id', to: 'mentor_areas.area_id' },
          to: 'areas.id',
        },
      },
    };
  }
}

export class AvailabilityWindowModel extends Model {
  static override tableName = 'availability_windows';
  id!: number;
  mentor_id!: number;
  weekday!: number;
  start_minute!: number;
  end_minute!: number;
}

export class AvailabilityOverrideModel extends Model {
  static override tableName = 'availability_overrides';
  id!: number;
  mentor_id!: number;
  date!: string;
  start_minute!: number | null;
  end_minute!: number | null;
}

export class StudentModel extends Model {
  static override tableName = 'students';
  id!: number;
  name!: string;
  email!: string;
  email_normalized!: string;
  timezone!: string;
  area_of_interest_id!: number | null;
  created_at!: Date | number;
  updated_at!: Date | number;
  /** Set when the student's personal data was erased on request */
  erased_at!: Date | number | null;
  area_of_interest?: AreaModel | null;

  static override get relationMappings(): RelationMappings {
    return {
      area_of_interest: {
        relation: Model.BelongsToOneRelation,
        modelClass: AreaModel,
        join: { from: 'students.area_of_interest_id', to: 'areas.id' },
      },
    };
  }
}

export class BookingModel extends Model {
  static override tableName = 'bookings';
  id!: number;
  student_id!: number;
  mentor_id!: number;
  area_id!: number | null;
  start_at!: Date | number;
  end_at!: Date | number;
  duration_minutes!: number;
  price_minor!: number;
  currency!: string;
  status!: 'pending_payment' | 'confirmed' | 'cancelled' | 'completed' | 'expired';
  created_at!: Date | number;
  updated_at!: Date | number;
  cancelled_at!: Date | number | null;
  area?: AreaModel | null;

  static override get relationMappings(): RelationMappings {
    return {
      area: {
        relation: Model.BelongsToOneRelation,
        modelClass: AreaModel,
        join: { from: 'bookings.area_id', to: 'areas.id' },
      },
    };
  }
}
